import type { AttributionConfig } from './config.ts';

/**
 * What browsers send may carry personal data the pipeline must never write: IP addresses, e-mail
 * addresses, names and phone numbers in identify traits. This removes or hashes them before an
 * event or archived message is made, and decides whether a message may be kept at all (consent,
 * Global Privacy Control). docs/decisions.md says why each rule is what it is.
 */

/** Keys (compared lower-cased, without `_` and `-`) whose values are network addresses: removed anywhere. */
const ADDRESS_KEYS = new Set([
  'ip',
  'ipaddress',
  'requestip',
  'clientip',
  'remoteip',
  'xforwardedfor',
  'forwardedfor',
]);

/** Trait keys (compared the same way) that name or reach a person: removed from `traits`, nested too. */
const PERSONAL_TRAITS = new Set([
  'name',
  'firstname',
  'lastname',
  'fullname',
  'displayname',
  'middlename',
  'nickname',
  'username',
  'phone',
  'phonenumber',
  'mobile',
  'mobilephone',
  'fax',
  'address',
  'street',
  'streetaddress',
  'postalcode',
  'zip',
  'zipcode',
  'birthday',
  'dateofbirth',
  'dob',
  'birthdate',
  'ssn',
  'avatar',
  'gender',
]);

/** An e-mail address: `@`, or `@` percent-encoded once or twice or as an HTML entity (in URLs, pages). */
const EMAIL =
  /[\p{L}\p{N}._%+'-]+(?:@|%40|%2540|&#64;|&#x40;)[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}/giu;
const AT_SIGN = /@|%40|%2540|&#64;|&#x40;/i;
/** A whole value that is an IPv4 or IPv6 address. */
const IP_ADDRESS =
  /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}|[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}(?:%\w+)?)$/i;

const normaliseKey = (key: string) => key.toLowerCase().replace(/[_-]/g, '');

/** The address behind a found e-mail, decoded, so every spelling of it hashes alike. */
function addressOf(found: string): string {
  const [local = '', domain = ''] = found.split(AT_SIGN);
  const decode = (part: string) => {
    let text = part;
    for (let i = 0; i < 2 && /%[0-9a-f]{2}/i.test(text); i++) {
      try {
        text = decodeURIComponent(text);
      } catch {
        break;
      }
    }
    return text;
  };
  return `${decode(local)}@${decode(domain)}`;
}

/**
 * A copy of `value` without personal data: network addresses dropped everywhere (by key, and any
 * value that is one), personal trait keys dropped from `traits` at any depth, and every e-mail
 * address inside a string or a key replaced by `hash(address)`, so the same person keeps the same
 * (keyed) identifier. A deny list: docs/decisions.md says what it cannot catch.
 */
export function scrubPersonalData<T>(value: T, hash: (email: string) => string): T {
  return scrub(value, false, hash) as T;
}

function scrubText(text: string, hash: (email: string) => string): string {
  return AT_SIGN.test(text) ? text.replace(EMAIL, (found) => hash(addressOf(found))) : text;
}

function scrub(value: unknown, inTraits: boolean, hash: (email: string) => string): unknown {
  if (typeof value === 'string') return scrubText(value, hash);
  if (Array.isArray(value))
    return value
      .filter((item) => !(typeof item === 'string' && IP_ADDRESS.test(item)))
      .map((item) => scrub(item, inTraits, hash));
  if (value && typeof value === 'object') {
    const copy: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      const normalised = normaliseKey(key);
      if (ADDRESS_KEYS.has(normalised) || (inTraits && PERSONAL_TRAITS.has(normalised))) continue;
      if (typeof inner === 'string' && IP_ADDRESS.test(inner.trim())) continue;
      // Own keys such as `__proto__` must stay data, not become the copy's prototype.
      Object.defineProperty(copy, scrubText(key, hash), {
        value: scrub(inner, inTraits || normalised === 'traits', hash),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return copy;
  }
  return value;
}

/** Why a browser message may not be kept, if it may not. */
export type PrivacyRefusal = 'consent' | 'gpc';

export interface PrivacySignals {
  /** The message's `context` (Segment / RudderStack shape), if any. */
  readonly context: Readonly<Record<string, unknown>> | undefined;
  /** The request's `Sec-GPC` header. */
  readonly secGpc: string | undefined;
}

/**
 * Whether a message may be kept: not when the visitor refused analytics (Segment's
 * `context.consent.categoryPreferences`, RudderStack's `context.consentManagement`, the tag's
 * consent), not without an affirmative consent when the config requires one, and not when the
 * browser sends Global Privacy Control and the config honours it.
 */
export function privacyRefusalOf(
  signals: PrivacySignals,
  privacy: AttributionConfig['privacy'],
): PrivacyRefusal | undefined {
  const context = signals.context ?? {};
  if (privacy.honourGlobalPrivacyControl && (signals.secGpc?.trim() === '1' || context.gpc === true)) {
    return 'gpc';
  }
  const categories = new Set(privacy.analyticsCategories.map((c) => c.toLowerCase()));
  const consent = analyticsConsentOf(context, categories);
  if (consent === false) return 'consent';
  if (consent === undefined && privacy.requireConsent) return 'consent';
  return undefined;
}

/** `true` granted, `false` refused, `undefined` not said. */
function analyticsConsentOf(
  context: Record<string, unknown>,
  categories: ReadonlySet<string>,
): boolean | undefined {
  let granted: boolean | undefined;
  const preferences = recordOf(recordOf(context.consent)?.categoryPreferences);
  for (const [name, value] of Object.entries(preferences ?? {})) {
    if (!categories.has(name.toLowerCase()) || typeof value !== 'boolean') continue;
    if (!value) return false;
    granted = true;
  }
  const management = recordOf(context.consentManagement);
  const ids = (key: string) =>
    Array.isArray(management?.[key])
      ? (management[key] as unknown[]).filter((id): id is string => typeof id === 'string')
      : [];
  if (ids('deniedConsentIds').some((id) => categories.has(id.toLowerCase()))) return false;
  if (ids('allowedConsentIds').some((id) => categories.has(id.toLowerCase()))) granted = true;
  return granted;
}

function recordOf(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
