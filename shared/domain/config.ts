import { z } from 'zod';
import { alertsConfigSchema } from './alerts.ts';
import { channelIdSchema, channelRuleSchema, sourceCategorySchema } from './channel-ids.ts';
import { isValidTimeZone } from './dates.ts';

/** A name whose share of voice is measured: the brand or a competitor. */
const voiceSchema = z.strictObject({
  name: z.string().trim().min(1).max(100),
  terms: z.array(z.string().trim().min(1).max(200)).min(1),
});

const hostSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(
    /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/,
    'must be a host name like acme.example',
  )
  .transform((host) => host.replace(/^www\./, ''));

/** A browser origin such as `https://www.acme.example` (scheme, host and port only), or `*`. */
export const originSchema = z
  .string()
  .trim()
  .refine((value) => value === '*' || URL.parse(value)?.origin === value.toLowerCase(), {
    message: 'must be an origin such as https://www.acme.example (no path), or *',
  })
  .transform((value) => value.toLowerCase());

/**
 * A write key: a public key that websites and SDKs send with events, good only for the collect
 * routes. With `allowedOrigins`, only pages of those origins may use it.
 */
const writeKeySchema = z.union([
  z.string().min(8),
  z.strictObject({ key: z.string().min(8), allowedOrigins: z.array(originSchema).min(1).optional() }),
]);

/** How browser events without analytics consent are treated (docs/decisions.md). */
const privacySchema = z.strictObject({
  /** Keep only events that carry an affirmative analytics consent; otherwise only explicit refusals are dropped. */
  requireConsent: z.boolean().default(false),
  /** Drop events from browsers that send Global Privacy Control (`Sec-GPC: 1` or `context.gpc`). */
  honourGlobalPrivacyControl: z.boolean().default(false),
  /**
   * Consent categories that mean analytics: Segment's `context.consent.categoryPreferences` keys and
   * RudderStack's `context.consentManagement` consent ids, compared case-insensitively.
   */
  analyticsCategories: z.array(z.string().trim().min(1).max(100)).min(1).default(['analytics']),
});

const conversionNamesSchema = z.array(z.string().trim().min(1).max(100));

/** Conversion names per funnel stage; a conversion whose name is in none is a `decision`. */
const stagesSchema = z.strictObject({
  decision: conversionNamesSchema.default(['lead', 'signup', 'purchase']),
  retention: conversionNamesSchema.default(['renewal', 'repeat_purchase']),
  advocacy: conversionNamesSchema.default(['referral_signup', 'review']),
});

/**
 * The attribution config file (README: Sending data, Configuration). Everything but `brand` has a default, so the
 * smallest valid file is `{ "brand": { "name": "Acme", "terms": ["acme"] } }`.
 */
export const attributionConfigSchema = z
  .strictObject({
    brand: voiceSchema,
    competitors: z.array(voiceSchema).default([]),
    ownDomains: z.array(hostSchema).default([]),
    timeZone: z
      .string()
      .refine(isValidTimeZone, 'must be an IANA time zone such as UTC or Europe/Berlin')
      .default('UTC'),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as USD')
      .default('USD'),
    lookbackDays: z.int().min(1).max(365).default(30),
    timeDecayHalfLifeDays: z.number().positive().max(365).default(7),
    stages: stagesSchema.default({
      decision: ['lead', 'signup', 'purchase'],
      retention: ['renewal', 'repeat_purchase'],
      advocacy: ['referral_signup', 'review'],
    }),
    /** Replaces the built-in ordered channel rules when given. */
    channelRules: z.array(channelRuleSchema).min(1).optional(),
    /** Extra source categories by host (`tiktok.com`) or UTM source name (`tiktok`), over the built-in lists. */
    sources: z.record(z.string().trim().toLowerCase().min(1), sourceCategorySchema).default({}),
    /**
     * Channels of "how did you hear about us" answers (lower-cased answer → channel), for the
     * self-reported column of the model comparison; an answer that is a channel id needs none.
     */
    surveyAnswers: z.record(z.string().trim().toLowerCase().min(1), channelIdSchema).default({}),
    /** How many past days each scheduled compute recomputes (late events older than that need a job). */
    scheduleWindowDays: z.int().min(1).max(366).default(7),
    /**
     * How many days before its range a job reaches back to net a late refund (services/late-refunds.ts);
     * 0: never. A refund of an older conversion needs a compute over that day.
     */
    lateRefundDays: z.int().min(0).max(366).default(90),
    /** Version 1's events-table retention: accepted so older files load, and ignored (the lake keeps every day). */
    eventRetentionDays: z.int().min(1).optional(),
    webhooks: z.looseObject({}).default({}),
    /** Deployment settings, read by the CDK app (cdk/deploy-config.ts) and ignored at run time. */
    deploy: z.looseObject({}).optional(),
    writeKeys: z.array(writeKeySchema).default([]),
    /** Browser origins whose pages may call the collect routes with CORS (preflighted requests). */
    cors: z
      .strictObject({ allowedOrigins: z.array(originSchema).default([]) })
      .default({ allowedOrigins: [] }),
    /** A visit without a sender's session id ends after this many minutes without a page view or conversion. */
    sessionTimeoutMinutes: z
      .int()
      .min(1)
      .max(24 * 60)
      .default(30),
    /** The daily KPI check (README: Alerts). */
    alerts: alertsConfigSchema.default({
      kpis: ['conversions', 'value', 'spend', 'cpa', 'visits'],
      changeThreshold: 0.5,
      baselineWeeks: 4,
    }),
    privacy: privacySchema.default({
      requireConsent: false,
      honourGlobalPrivacyControl: false,
      analyticsCategories: ['analytics'],
    }),
  })
  .superRefine((config, ctx) => {
    const names = [config.brand.name, ...config.competitors.map((c) => c.name)].map((n) => n.toLowerCase());
    const duplicate = names.find((name, i) => names.indexOf(name) !== i);
    if (duplicate)
      ctx.addIssue({ code: 'custom', path: ['competitors'], message: `name "${duplicate}" is used twice` });
    const stageOfName = new Map<string, string>();
    for (const [stage, names] of Object.entries(config.stages)) {
      for (const name of names) {
        const other = stageOfName.get(name);
        if (other && other !== stage) {
          ctx.addIssue({
            code: 'custom',
            path: ['stages', stage],
            message: `"${name}" is also listed under ${other}`,
          });
        }
        stageOfName.set(name, stage);
      }
    }
  });

export type AttributionConfig = z.output<typeof attributionConfigSchema>;
export type AttributionConfigInput = z.input<typeof attributionConfigSchema>;
