import { describe, expect, it } from 'vitest';
import { attributionConfigSchema } from '#domain/config.ts';
import { privacyRefusalOf, scrubPersonalData } from '#domain/privacy.ts';

const hash = (email: string) => `h(${email.toLowerCase()})`;
const privacy = (more: Record<string, unknown> = {}) =>
  attributionConfigSchema.parse({ brand: { name: 'Acme', terms: ['acme'] }, privacy: more }).privacy;

describe('scrubPersonalData', () => {
  it('drops IP addresses wherever they are, and names and phones from traits', () => {
    const message = {
      type: 'identify',
      userId: 'u1',
      name: 'Home page',
      context: { ip: '203.0.113.9', traits: { firstName: 'Ann', plan: 'pro' }, page: { title: 'Home' } },
      traits: { name: 'Ann Lee', phone: '+44 20 7946 0000', Last_Name: 'Lee', company: 'Acme' },
      request_ip: '198.51.100.1',
    };
    expect(scrubPersonalData(message, hash)).toEqual({
      type: 'identify',
      userId: 'u1',
      // A page's name is not a person's: only traits lose their name keys.
      name: 'Home page',
      context: { traits: { plan: 'pro' }, page: { title: 'Home' } },
      traits: { company: 'Acme' },
    });
  });

  it('replaces every e-mail address by its hash, also inside URLs and percent-encoded', () => {
    const scrubbed = scrubPersonalData(
      {
        userId: 'Ann@Acme.example',
        traits: { email: 'ann@acme.example' },
        properties: {
          url: 'https://acme.example/welcome?email=ann%40acme.example&x=1',
          note: 'write to a.b@c.example now',
        },
      },
      hash,
    );
    expect(scrubbed).toEqual({
      userId: 'h(ann@acme.example)',
      traits: { email: 'h(ann@acme.example)' },
      properties: {
        url: 'https://acme.example/welcome?email=h(ann@acme.example)&x=1',
        note: 'write to h(a.b@c.example) now',
      },
    });
  });

  it('catches the usual variants: camelCase keys, nested traits, e-mails as keys, encodings, IPs anywhere', () => {
    const scrubbed = scrubPersonalData(
      {
        traits: {
          phoneNumber: '+1 555 0100',
          dateOfBirth: '1990-01-01',
          fullName: 'Ann Lee',
          contacts: [{ name: 'Bob', role: 'cfo' }],
          'ann@acme.example': true,
        },
        context: { clientIp: '203.0.113.9', network: { addr: '2001:db8::1', peers: ['198.51.100.7'] } },
        properties: {
          url: 'https://acme.example/?e=ann%2540acme.example&f=b%40c.example&g=j%C3%B6hn%40acme.example',
          html: 'mail ann&#64;acme.example',
          version: '3.34.1',
        },
      },
      hash,
    );
    expect(scrubbed).toEqual({
      traits: { contacts: [{ role: 'cfo' }], 'h(ann@acme.example)': true },
      context: { network: { peers: [] } },
      properties: {
        url: 'https://acme.example/?e=h(ann@acme.example)&f=h(b@c.example)&g=h(jöhn@acme.example)',
        html: 'mail h(ann@acme.example)',
        version: '3.34.1',
      },
    });
  });

  it('keeps own keys such as __proto__ as data and leaves the input untouched', () => {
    const input = JSON.parse('{"properties":{"__proto__":{"x":1}},"context":{"ip":"1.2.3.4"}}');
    const scrubbed = scrubPersonalData(input, hash) as { properties: object };
    expect(Object.keys(scrubbed.properties)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(scrubbed.properties)).toBe(Object.prototype);
    expect(input.context.ip).toBe('1.2.3.4');
  });
});

describe('privacyRefusalOf', () => {
  const none = { context: undefined, secGpc: undefined };

  it('keeps a message without consent signals unless consent is required', () => {
    expect(privacyRefusalOf(none, privacy())).toBeUndefined();
    expect(privacyRefusalOf(none, privacy({ requireConsent: true }))).toBe('consent');
  });

  it("reads Segment's category preferences, case-insensitively", () => {
    const refused = {
      context: { consent: { categoryPreferences: { Analytics: false, Ads: true } } },
      secGpc: undefined,
    };
    const granted = { context: { consent: { categoryPreferences: { analytics: true } } }, secGpc: undefined };
    expect(privacyRefusalOf(refused, privacy())).toBe('consent');
    expect(privacyRefusalOf(granted, privacy({ requireConsent: true }))).toBeUndefined();
  });

  it("reads RudderStack's consent ids with the configured categories", () => {
    const config = privacy({ requireConsent: true, analyticsCategories: ['C0002'] });
    const allowed = { consentManagement: { allowedConsentIds: ['C0001', 'c0002'], deniedConsentIds: [] } };
    const denied = { consentManagement: { allowedConsentIds: ['C0001'], deniedConsentIds: ['C0002'] } };
    const other = { consentManagement: { allowedConsentIds: ['C0001'] } };
    expect(privacyRefusalOf({ context: allowed, secGpc: undefined }, config)).toBeUndefined();
    expect(privacyRefusalOf({ context: denied, secGpc: undefined }, config)).toBe('consent');
    expect(privacyRefusalOf({ context: other, secGpc: undefined }, config)).toBe('consent');
  });

  it('honours Global Privacy Control only when the config says so, from the header or the context', () => {
    expect(privacyRefusalOf({ context: undefined, secGpc: '1' }, privacy())).toBeUndefined();
    const honour = privacy({ honourGlobalPrivacyControl: true });
    expect(privacyRefusalOf({ context: undefined, secGpc: '1' }, honour)).toBe('gpc');
    expect(privacyRefusalOf({ context: { gpc: true }, secGpc: undefined }, honour)).toBe('gpc');
    expect(privacyRefusalOf({ context: { gpc: false }, secGpc: '0' }, honour)).toBeUndefined();
  });
});
