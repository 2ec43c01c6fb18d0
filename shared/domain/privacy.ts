import type { AttributionConfig } from './config.ts';

/**
 * What browsers send may carry personal data the pipeline must never write: IP addresses, e-mail
 * addresses, names and phone numbers in identify traits. This removes or hashes them before an
 * event or archived message is made, and decides whether a message may be kept at all (consent,
 * Global Privacy Control). docs/decisions.md says why each rule is what it is.
 */

/** Keys whose values are network addresses; removed wherever they appear. */
const ADDRESS_KEYS = new Set(['ip', 'ipaddress', 'ip_address', 'request_ip', 'x-forwarded-for', 'client_ip']);

/** Trait keys that name or reach a person; removed from every `traits` object. */
const PERSONAL_TRAITS = new Set([
  'name',
  'firstname',
  'first_name',
  'lastname',
  'last_name',
  'phone',
  'phone_number',
  'mobile',
  'address',
  'street',
  'birthday',
  'date_of_birth',
  'dob',
  'ssn',
  'avatar',
  'username',
]);

/** An e-mail address, also percent-encoded in a URL (`%40`). */
const EMAIL = /[A-Za-z0-9._%+-]+(?:@|%40)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;

/**
 * A copy of `value` without personal data: address keys dropped everywhere, personal trait keys
 * dropped from `traits`, and every e-mail address inside a string replaced by `hash(address)`, so
 * the same person still has the same (keyed) identifier.
 */
export function scrubPersonalData<T>(value: T, hash: (email: string) => string): T {
  return scrub(value, false, hash) as T;
}

function scrub(value: unknown, inTraits: boolean, hash: (email: string) => string): unknown {
  if (typeof value === 'string') {
    return value.includes('@') || value.includes('%40')
      ? value.replace(EMAIL, (found) => hash(found.replace(/%40/g, '@')))
      : value;
  }
  if (Array.isArray(value)) return value.map((item) => scrub(item, false, hash));
  if (value && typeof value === 'object') {
    const copy: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      const lower = key.toLowerCase();
      if (ADDRESS_KEYS.has(lower) || (inTraits && PERSONAL_TRAITS.has(lower))) continue;
      // Own keys such as `__proto__` must stay data, not become the copy's prototype.
      Object.defineProperty(copy, key, {
        value: scrub(inner, lower === 'traits', hash),
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
