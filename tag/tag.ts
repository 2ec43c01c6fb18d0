/**
 * The first-party tracking tag (browser code, no dependencies), served by the API at
 * `GET /v1/tag.js`; `npm run build:tag` bundles it into shared/http/tag-asset.generated.ts.
 *
 * A site embeds it with a stub that queues calls until the tag has loaded:
 *
 *   <script>window.attribution=window.attribution||function(){(attribution.q=attribution.q||[]).push(arguments)}</script>
 *   <script async src="https://API_HOST/v1/tag.js" data-write-key="WRITE_KEY"></script>
 *
 * Commands: `page [properties]`, `track name [properties]`, `identify userId [traits]`,
 * `consent {analytics: boolean}`. Messages follow the Segment HTTP API and go, batched per tick, to
 * `POST {api}/v1/batch` as text/plain (no CORS preflight) by sendBeacon, else keepalive fetch.
 * Script attributes: data-write-key (required), data-api (default: the origin of the tag's src),
 * data-session-minutes (default 30), data-consent="required", data-auto-page="false".
 *
 * Identifiers are first-party: a random anonymous id in the cookie `_attr_aid` (set on the widest
 * domain of the page's site the browser accepts) mirrored in localStorage, the user id in
 * localStorage `_attr_uid`, the session in localStorage `_attr_session`; memory when storage is
 * blocked. Nothing is written or sent before consent when consent is required; consent denied
 * drops what is pending, deletes the identifiers and sends nothing more. Never throws into the page.
 */
export {};

type Json = Record<string, unknown>;
interface Message extends Json {
  timestamp: string;
  context: Json;
}
interface Session {
  id: string;
  lastActivity: number;
}
type Args = ArrayLike<unknown>;
interface Attribution {
  (...args: unknown[]): void;
  q?: Args[] | { push(args: Args): void };
  loaded?: boolean;
}

const AID = '_attr_aid';
const UID = '_attr_uid';
const SESSION = '_attr_session';
/** Per request: sendBeacon refuses more than 64 KB in flight. */
const MAX_REQUEST_BYTES = 60_000;
/** The API rejects a message over 32 KB; it is dropped here instead. */
const MAX_MESSAGE_BYTES = 32_000;
/** 400 days, the longest a browser keeps a cookie. */
const COOKIE_SECONDS = 34_560_000;

const w = window as unknown as { attribution?: Attribution };
const d = document;
const nav = navigator as Navigator & { globalPrivacyControl?: boolean };
const loc = location;

const uuid = (): string => {
  try {
    return crypto.randomUUID();
  } catch {
    // Not a secure context (plain http): version 4 from getRandomValues.
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = ((b[6] ?? 0) & 15) | 64;
    b[8] = ((b[8] ?? 0) & 63) | 128;
    return Array.from(b, (x) => (x + 256).toString(16).slice(1))
      .join('')
      .replace(/(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-');
  }
};

/** Keys localStorage refused to store (or blocked storage): kept here for this page instead. */
const memory: Record<string, string | undefined> = {};
const load = (key: string): string | undefined => {
  if (key in memory) return memory[key];
  try {
    return localStorage.getItem(key) || undefined;
  } catch {}
};
/** Stores `value`, or removes the key without one. */
const save = (key: string, value?: string) => {
  try {
    value === undefined ? localStorage.removeItem(key) : localStorage.setItem(key, value);
    delete memory[key];
  } catch {
    memory[key] = value;
  }
};

const readCookie = (): string | undefined => {
  try {
    return /(?:^|;\s*)_attr_aid=([^;]+)/.exec(d.cookie)?.[1];
  } catch {}
};
/**
 * Sets the cookie on the widest domain the browser accepts (example.co.uk, not co.uk, which is a
 * public suffix), so the site's subdomains share it; host-only when none is accepted (localhost).
 * `maxAge` 0 deletes it everywhere.
 */
const writeCookie = (value: string, maxAge: number) => {
  try {
    const base = `${AID}=${value};path=/;max-age=${maxAge};samesite=lax${loc.protocol === 'https:' ? ';secure' : ''}`;
    const labels = loc.hostname.split('.');
    for (let i = labels.length - 2; i >= 0; i--) {
      // biome-ignore lint/suspicious/noDocumentCookie: the Cookie Store API is not in every browser the tag serves
      d.cookie = `${base};domain=${labels.slice(i).join('.')}`;
      if (maxAge && readCookie() === value) return;
    }
    // biome-ignore lint/suspicious/noDocumentCookie: as above
    d.cookie = base;
  } catch {}
};

const json = (value: unknown): Json => (value && typeof value === 'object' ? (value as Json) : {});

const start = (script: HTMLScriptElement, writeKey: string, previous: Attribution | undefined) => {
  const attr = (name: string) => script.getAttribute(`data-${name}`);
  const api = (attr('api') || new URL(script.src).origin).replace(/\/+$/, '');
  const minutes = Number(attr('session-minutes'));
  const timeout = (minutes > 0 ? minutes : 30) * 60_000;
  const required = attr('consent') === 'required';
  const autoPage = attr('auto-page') !== 'false';

  let consent: boolean | undefined;
  let anonymousId = readCookie() || load(AID) || uuid();
  let userId = load(UID);
  let url = loc.href;
  let referrer = d.referrer;
  /** Made while consent is required and not yet given. */
  let held: Message[] = [];
  /** Sent at the end of this tick, as JSON. */
  let outbox: string[] = [];
  let scheduled = false;

  const allowed = () => consent === true || (!required && consent === undefined);
  const persist = () => {
    writeCookie(anonymousId, COOKIE_SECONDS);
    save(AID, anonymousId);
    if (userId) save(UID, userId);
  };

  const post = (body: string) => {
    const target = `${api}/v1/batch`;
    try {
      if (nav.sendBeacon(target, new Blob([body], { type: 'text/plain' }))) return;
    } catch {}
    const send = (keepalive: boolean) =>
      fetch(target, {
        method: 'POST',
        body,
        keepalive,
        headers: { 'content-type': 'text/plain' },
        credentials: 'omit',
      });
    // keepalive shares the beacon's 64 KB budget: once over it, send as an ordinary request.
    try {
      send(true)
        .catch(() => send(false))
        .catch(() => {});
    } catch {}
  };

  const flush = () => {
    scheduled = false;
    const head = `{"writeKey":${JSON.stringify(writeKey)},"sentAt":"${new Date().toISOString()}","batch":[`;
    const empty = new Blob([head]).size + 2;
    let batch: string[] = [];
    let size = empty;
    const send = () => {
      if (batch.length) post(`${head}${batch.join(',')}]}`);
      batch = [];
      size = empty;
    };
    for (const message of outbox.splice(0)) {
      const bytes = new Blob([message]).size + 1;
      if (bytes > MAX_MESSAGE_BYTES) continue;
      if (size + bytes > MAX_REQUEST_BYTES) send();
      batch.push(message);
      size += bytes;
    }
    send();
  };

  /** Stamps the session (shared by the site's tabs through localStorage) and queues the message. */
  const deliver = (message: Message) => {
    const time = Date.parse(message.timestamp);
    let session: Session | undefined;
    try {
      session = JSON.parse(load(SESSION) || 'null');
    } catch {}
    const fresh = !session?.id || !(time - session.lastActivity < timeout);
    if (!session || fresh) session = { id: uuid(), lastActivity: time };
    session.lastActivity = Math.max(session.lastActivity, time);
    save(SESSION, JSON.stringify(session));
    const context = message.context;
    context.sessionId = session.id;
    if (fresh) context.sessionStart = true;
    if (consent !== undefined) context.consent = { categoryPreferences: { analytics: consent } };
    outbox.push(JSON.stringify(message));
    if (!scheduled) {
      scheduled = true;
      queueMicrotask(flush);
    }
  };

  const page = () => ({ url: loc.href, path: loc.pathname, referrer, title: d.title });

  const emit = (type: string, fields: Json) => {
    if (consent === false) return;
    // A copy, as JSON: later changes to the caller's objects do not leak in; a cycle throws here.
    const message: Message = JSON.parse(
      JSON.stringify({
        type,
        messageId: uuid(),
        timestamp: new Date().toISOString(),
        anonymousId,
        userId,
        ...fields,
        context: {
          page: page(),
          gpc: nav.globalPrivacyControl === true || undefined,
          library: { name: 'attribution-tag', version: '1' },
          locale: nav.language,
          userAgent: nav.userAgent,
        },
      }),
    );
    allowed() ? deliver(message) : held.push(message);
  };

  const exec = (args: Args) => {
    try {
      const [command, a, b] = Array.from(args);
      if (command === 'page') emit('page', { properties: { ...page(), ...json(a) } });
      else if (command === 'track' && typeof a === 'string' && a)
        emit('track', { event: a, properties: json(b) });
      else if (command === 'identify' && (typeof a === 'string' || typeof a === 'number') && a !== '') {
        userId = String(a);
        if (allowed()) save(UID, userId);
        emit('identify', b && typeof b === 'object' ? { traits: b } : {});
      } else if (command === 'consent' && typeof json(a).analytics === 'boolean') {
        consent = json(a).analytics as boolean;
        if (consent) {
          persist();
          for (const message of held.splice(0)) deliver(message);
        } else {
          held = [];
          outbox = [];
          writeCookie('', 0);
          save(AID);
          save(UID);
          save(SESSION);
          anonymousId = uuid();
          userId = undefined;
        }
      }
    } catch {}
  };

  const run: Attribution = (...args: unknown[]) => {
    exec(args);
  };
  run.loaded = true;
  // A stub kept by reference pushes onto `attribution.q`: this runs those calls too.
  run.q = { push: exec };
  const queued = previous && Array.isArray(previous.q) ? previous.q : [];
  w.attribution = run;
  if (allowed()) persist();

  addEventListener('pagehide', flush);
  d.addEventListener('visibilitychange', () => {
    if (d.visibilityState === 'hidden') flush();
  });
  const changed = () => {
    try {
      if (loc.href !== url) {
        referrer = url;
        url = loc.href;
        if (autoPage) exec(['page']);
      }
    } catch {}
  };
  for (const name of ['pushState', 'replaceState'] as const) {
    const original = history[name];
    history[name] = function (this: History, ...args: Parameters<History['pushState']>) {
      const result = original.apply(this, args);
      changed();
      return result;
    };
  }
  addEventListener('popstate', changed);

  if (autoPage) exec(['page']);
  for (const args of queued) exec(args);
};

try {
  const script = (d.currentScript ?? d.querySelector('script[data-write-key]')) as HTMLScriptElement | null;
  const writeKey = script?.getAttribute('data-write-key');
  const previous = w.attribution;
  if (script && writeKey && !previous?.loaded) start(script, writeKey, previous);
} catch {}
