import { z } from 'zod';
import { KEY_SCOPES } from '#adapters/key-store.ts';
import { KPI_NAMES } from '#domain/alerts.ts';
import { MODELS } from '#domain/attribution/models.ts';
import { CHANNEL_IDS, channelIdSchema } from '#domain/channel-ids.ts';
import { originSchema } from '#domain/config.ts';
import { calendarDateSchema, INTERVALS } from '#domain/dates.ts';
import { STAGES } from '#domain/event-schema.ts';
import { JOB_KINDS, JOB_STATUSES } from '#domain/jobs.ts';
import { AD_GROUPINGS } from '#domain/journey/journey-day.ts';

/**
 * The schemas of the HTTP API beyond the request bodies the domain already validates: the query
 * parameters of each read route (the handlers parse with these) and the response shapes (the
 * OpenAPI document is generated from these; the e2e tests check real answers against them).
 */

/** The metrics `GET /v1/metrics/series` gives per day, week or month. */
export const SERIES_METRICS = ['channel-share', 'share-of-voice', 'visitors', 'email'] as const;

/** Query parameters of each read route, besides `from`, `to` and `format` (shared by all). */
export const QUERY_SHAPES = {
  'GET /v1/metrics/channel-share': { basis: z.enum(['touches', 'conversions', 'spend']).default('touches') },
  'GET /v1/metrics/share-of-voice': {
    source: z.enum(['ads', 'search', 'all']).default('all'),
    /** Names beyond the brand and competitors listed at most (the total covers all). */
    limit: z.coerce.number().int().min(1).max(1000).default(20),
  },
  'GET /v1/metrics/referral-traffic': { limit: z.coerce.number().int().min(1).max(1000).default(10) },
  'GET /v1/metrics/cpa-by-stage': { channel: channelIdSchema.optional() },
  'GET /v1/attribution': {
    model: z.enum(MODELS).default('last_touch'),
    groupBy: z.enum(['channel', 'campaign']).default('channel'),
  },
  'GET /v1/attribution/compare': {},
  'GET /v1/metrics/ads': { groupBy: z.enum(AD_GROUPINGS).default('campaign') },
  'GET /v1/metrics/email': { groupBy: z.enum(['campaign', 'day']).default('campaign') },
  'GET /v1/metrics/nps': { groupBy: z.enum(['channel']).default('channel') },
  'GET /v1/metrics/cart': {},
  'GET /v1/metrics/visitors': {},
  'GET /v1/metrics/funnel': { channel: channelIdSchema.optional() },
  'GET /v1/journeys/paths': {
    converting: z.enum(['true', 'false', 'all']).default('all'),
    limit: z.coerce.number().int().min(1).max(1000).default(20),
  },
  'GET /v1/journeys/summary': {},
  'GET /v1/metrics/cohorts': { period: z.enum(['week', 'month']).default('month') },
  'GET /v1/alerts': {},
  'GET /v1/metrics/series': {
    metric: z.enum(SERIES_METRICS),
    interval: z.enum(INTERVALS).default('day'),
    /** For channel-share. */
    basis: z.enum(['touches', 'conversions', 'spend']).default('touches'),
    /** For share-of-voice. */
    source: z.enum(['ads', 'search', 'all']).default('all'),
  },
} as const;

const range = { from: calendarDateSchema, to: calendarDateSchema };
const share = z.number().min(0).max(1);
const money = z.number().min(0);
const nullableMoney = z.number().min(0).nullable();

export const errorResponseSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    requestId: z.string().optional(),
  }),
});

export const channelShareResponseSchema = z.object({
  ...range,
  basis: z.enum(['touches', 'conversions', 'spend']),
  total: z.number().min(0),
  channels: z.array(z.object({ channel: z.enum(CHANNEL_IDS), count: z.number().min(0), share })),
});

export const shareOfVoiceResponseSchema = z.object({
  ...range,
  source: z.enum(['ads', 'search', 'all']),
  total: z.number().min(0),
  entries: z.array(z.object({ name: z.string(), isBrand: z.boolean(), count: z.number().min(0), share })),
});

export const referralTrafficResponseSchema = z.object({
  ...range,
  total: z.number().min(0),
  domains: z.array(
    z.object({
      domain: z.string(),
      category: z.enum(['search', 'social', 'referral']),
      visits: z.number().min(0),
      share,
      conversions: z.number().min(0),
    }),
  ),
  daily: z.array(z.object({ date: calendarDateSchema, visits: z.number().min(0) })),
});

export const cpaByStageResponseSchema = z.object({
  ...range,
  currency: z.string(),
  spend: money,
  stages: z.array(
    z.object({
      stage: z.enum(STAGES),
      events: z.number().min(0),
      users: z
        .int()
        .min(0)
        .describe(
          'Distinct users over the whole range: exact while each day, stage and channel cell has at most 256 users, else a HyperLogLog estimate (4,096 registers, about 1.6% standard error)',
        ),
      costPerEvent: nullableMoney,
      costPerUser: nullableMoney,
    }),
  ),
});

export const attributionResponseSchema = z.object({
  ...range,
  model: z.enum(MODELS),
  groupBy: z.enum(['channel', 'campaign']),
  currency: z.string(),
  conversions: z.number().min(0),
  value: money,
  spend: money,
  rows: z.array(
    z.object({
      key: z.string(),
      conversions: z.number().min(0),
      value: money,
      spend: money,
      cpa: nullableMoney,
      roas: nullableMoney,
    }),
  ),
});

const perModel = <T extends z.ZodType>(value: T) =>
  z.object(Object.fromEntries(MODELS.map((m) => [m, value])) as Record<(typeof MODELS)[number], T>);

export const attributionCompareResponseSchema = z.object({
  ...range,
  currency: z.string(),
  models: z.array(z.enum(MODELS)),
  conversions: z.number().min(0),
  value: money,
  spend: money,
  rows: z.array(
    z.object({
      channel: z.string(),
      spend: money,
      conversions: perModel(z.number().min(0)),
      value: perModel(money),
      cpa: perModel(nullableMoney),
      roas: perModel(nullableMoney),
      selfReported: z
        .int()
        .min(0)
        .describe(
          '"how did you hear about us" answers that stand for this channel (config surveyAnswers, or the channel id)',
        ),
    }),
  ),
  selfReported: z.object({
    responses: z.int().min(0),
    answers: z.array(
      z.object({
        answer: z.string(),
        channel: z.enum(CHANNEL_IDS).nullable(),
        responses: z.int().min(0),
        share,
      }),
    ),
  }),
});

const nullableRate = z.number().min(0).nullable();

export const adsResponseSchema = z.object({
  ...range,
  currency: z.string(),
  groupBy: z.enum(AD_GROUPINGS),
  rows: z.array(
    z.object({
      key: z.string(),
      impressions: z.number().min(0),
      clicks: z.number().min(0),
      ctr: nullableRate.describe('clicks / impressions'),
      spend: money.describe(
        "the spend rows of the platform or campaign and day, else the cost its ad events carried (a creative's is always its events' cost)",
      ),
      cpc: nullableMoney.describe('spend / clicks'),
      cpm: nullableMoney.describe('1000 × spend / impressions'),
      conversions: z.number().min(0).describe('conversions whose last touch was an ad event of this key'),
      cpa: nullableMoney.describe('spend / conversions'),
    }),
  ),
});

const recipients = z
  .int()
  .min(0)
  .describe(
    'distinct recipients per campaign, summed over campaigns: exact up to 256 per campaign, action and stored day or block, else a HyperLogLog estimate (about 1.6% standard error)',
  );
const emailFigures = {
  sent: recipients,
  delivered: recipients,
  bounced: recipients,
  opened: recipients,
  clicked: recipients,
  unsubscribed: recipients,
  complained: recipients,
  subscribed: recipients,
  deliveryRate: nullableRate.describe('delivered / sent'),
  bounceRate: nullableRate.describe('bounced / sent'),
  openRate: nullableRate.describe('opened / delivered'),
  clickRate: nullableRate.describe('clicked / delivered'),
  clickToOpenRate: nullableRate.describe('clicked / opened'),
  unsubscribeRate: nullableRate.describe('unsubscribed / delivered'),
  complaintRate: nullableRate.describe('complained / delivered'),
  listGrowth: z.int().describe('subscribed − unsubscribed − complained'),
};

export const emailResponseSchema = z.object({
  ...range,
  groupBy: z.enum(['campaign', 'day']),
  totals: z.object(emailFigures),
  rows: z.array(z.object({ key: z.string(), ...emailFigures })),
});

const npsFigures = {
  responses: z.int().min(0).describe("people answering: each one's latest NPS answer in the range"),
  promoters: z.int().min(0).describe('scores 9–10'),
  passives: z.int().min(0).describe('scores 7–8'),
  detractors: z.int().min(0).describe('scores 0–6'),
  score: z.number().min(-100).max(100).nullable().describe('100 × (promoters − detractors) / responses'),
};

export const npsResponseSchema = z.object({
  ...range,
  groupBy: z.enum(['channel']),
  ...npsFigures,
  rows: z.array(
    z.object({ key: z.enum(CHANNEL_IDS).describe("the channel of the person's first touch"), ...npsFigures }),
  ),
});

export const cartResponseSchema = z.object({
  ...range,
  carts: z.int().min(0).describe('users who added something to a cart'),
  checkouts: z.int().min(0).describe('users who started a checkout'),
  purchases: z.int().min(0).describe('of the carts, users who bought at or after an add within the lookback'),
  abandonmentRate: nullableRate.describe('1 − purchases / carts'),
});

export const visitorsResponseSchema = z.object({
  ...range,
  visitors: z
    .int()
    .min(0)
    .describe('people with a page view (exact to 256 a day, then a HyperLogLog estimate)'),
  newVisitors: z
    .int()
    .min(0)
    .describe(
      'of those, people whose first page view ever falls in the range (under any of their linked ids)',
    ),
  returningVisitors: z.int().min(0),
  visits: z
    .int()
    .min(0)
    .describe("visits with a page view: the sender's session, else 30 minutes of inactivity"),
  pagesPerVisit: z.number().min(0).nullable(),
  bounceRate: nullableRate.describe('visits with a single page view / visits'),
  avgVisitSeconds: z.number().min(0).nullable().describe("from a visit's first page view to its last"),
});

export const funnelResponseSchema = z.object({
  ...range,
  stages: z.array(
    z.object({
      stage: z.enum(STAGES),
      users: z
        .int()
        .min(0)
        .describe(
          'people with an event of the stage (exact to 256 a day, stage and channel, then HyperLogLog)',
        ),
      fromPrevious: nullableRate.describe(
        "of the previous stage's people, the share also in this stage (their overlap by inclusion–exclusion)",
      ),
      medianDaysFromPrevious: z
        .number()
        .min(0)
        .nullable()
        .describe(
          "median whole days from a person's previous-stage event (in the lookback) to entering this stage",
        ),
    }),
  ),
});

export const pathsResponseSchema = z.object({
  ...range,
  converting: z.enum(['true', 'false', 'all']),
  paths: z.array(
    z.object({
      path: z
        .array(z.enum(CHANNEL_IDS))
        .min(1)
        .describe('channels in order, consecutive same-channel touches collapsed'),
      journeys: z.number().min(0),
      conversions: z.number().min(0),
      value: money,
    }),
  ),
  otherJourneys: z
    .number()
    .min(0)
    .describe('journeys on paths beyond the 1,000 largest that each stored day or block of days keeps'),
});

export const journeySummaryResponseSchema = z.object({
  ...range,
  conversions: z.number().min(0),
  touchesToConvert: z.array(z.object({ touches: z.int().min(0), conversions: z.number().min(0) })),
  daysToConvert: z.array(z.object({ days: z.int().min(0), conversions: z.number().min(0) })),
  assisted: z.array(
    z.object({
      channel: z.enum(CHANNEL_IDS),
      assisted: z
        .number()
        .min(0)
        .describe('conversions whose journey has the channel, not as its last touch'),
      lastTouch: z.number().min(0).describe('conversions the channel is the last touch of'),
    }),
  ),
});

export const cohortsResponseSchema = z.object({
  ...range,
  period: z.enum(['week', 'month']),
  cohorts: z.array(
    z.object({
      cohort: z
        .string()
        .describe("the period of the cohort's first conversions: a week's Monday or a month (YYYY-MM)"),
      channel: z.enum(CHANNEL_IDS).describe("the first touch of the first conversion's journey"),
      users: z.int().min(0),
      revenue: money.describe("every conversion of the cohort's people in the range, net of refunds"),
      revenuePerUser: nullableMoney,
      retention: z
        .array(share)
        .describe('share of the cohort converting again k periods after its own (0: its own)'),
    }),
  ),
});

export const alertsResponseSchema = z.object({
  ...range,
  alerts: z.array(
    z.object({
      date: calendarDateSchema,
      kpi: z.enum(KPI_NAMES),
      value: z.number(),
      baseline: z
        .number()
        .describe('mean of the same weekday in the baseline weeks (config alerts.baselineWeeks)'),
      change: z.number().describe('(value − baseline) / baseline'),
      direction: z.enum(['up', 'down']),
    }),
  ),
});

export const seriesResponseSchema = z.object({
  ...range,
  metric: z.enum(SERIES_METRICS),
  interval: z.enum(INTERVALS),
  points: z.array(
    z.object({
      ...range,
      value: z.unknown().describe("the metric's own answer for the point's days (its response schema)"),
    }),
  ),
});

const fieldIssues = z.array(z.object({ path: z.string(), message: z.string() }));

export const eventsAcceptedResponseSchema = z.object({
  accepted: z.int().min(0),
  duplicates: z.int().min(0),
  rejected: z.array(z.object({ index: z.int().min(0), errors: fieldIssues })),
});

export const collectResponseSchema = z.object({
  success: z.literal(true),
  accepted: z.int().min(0),
  archived: z.int().min(0),
  /** Messages not kept at all: without analytics consent, or under Global Privacy Control. */
  filtered: z.object({ consent: z.int().min(0), gpc: z.int().min(0) }),
  rejected: z.array(z.object({ index: z.int().min(0), errors: fieldIssues })),
});

export const webhookResponseSchema = z.object({
  accepted: z.int().min(0),
  rejected: z.array(z.object({ index: z.int().min(0), errors: z.unknown() })),
});

export const spendResponseSchema = z.object({ upserted: z.int().min(0) });

/** `POST /v1/jobs/compute`: a range; either end, or the whole body, may be left out. */
export const computeBodySchema = z.strictObject({
  from: calendarDateSchema.optional(),
  to: calendarDateSchema.optional(),
});
/** `POST /v1/jobs/replay`: the range to rebuild, both ends. */
export const replayBodySchema = z.strictObject({ from: calendarDateSchema, to: calendarDateSchema });

export const jobStartedResponseSchema = z.object({
  jobId: z.string(),
  status: z.enum(JOB_STATUSES),
  from: calendarDateSchema,
  to: calendarDateSchema,
});

export const jobResponseSchema = z.object({
  jobId: z.string(),
  kind: z.enum(JOB_KINDS),
  status: z.enum(JOB_STATUSES),
  from: calendarDateSchema,
  to: calendarDateSchema,
  computedFrom: calendarDateSchema
    .optional()
    .describe(
      "the first day computed, when refunds that arrived after their conversion's day was stored widened the range",
    ),
  createdAt: z.string(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  error: z.string().optional(),
  progress: z
    .object({ done: z.int().min(0), total: z.int().min(0) })
    .optional()
    .describe(
      "steps done of all the job's steps: lake days to rebuild, then compute buckets, then the reduce",
    ),
  stats: z.record(z.string(), z.number()).optional(),
});

export const healthResponseSchema = z.object({ status: z.literal('ok'), version: z.string() });

/**
 * A new key. A `collect` key is a write key: public (it is embedded in web pages), so it holds no
 * other scope, and it may be bound to the origins whose pages use it.
 */
export const createKeyBodySchema = z
  .strictObject({
    name: z.string().trim().min(1).max(100),
    scopes: z.array(z.enum(KEY_SCOPES)).min(1).max(KEY_SCOPES.length),
    allowedOrigins: z.array(originSchema).min(1).max(100).optional(),
  })
  .superRefine((body, ctx) => {
    const collect = body.scopes.includes('collect');
    if (collect && body.scopes.some((scope) => scope !== 'collect'))
      ctx.addIssue({
        code: 'custom',
        path: ['scopes'],
        message: 'a collect (write) key is public and cannot hold other scopes',
      });
    if (!collect && body.allowedOrigins)
      ctx.addIssue({
        code: 'custom',
        path: ['allowedOrigins'],
        message: 'only collect keys are bound to origins',
      });
  });

const keyRecord = {
  keyHash: z.string(),
  name: z.string(),
  scopes: z.array(z.enum(KEY_SCOPES)),
  allowedOrigins: z.array(z.string()).optional(),
  createdAt: z.string(),
  revokedAt: z.string().optional(),
};
export const createdKeyResponseSchema = z.object({ key: z.string(), ...keyRecord });
export const keyListResponseSchema = z.object({ keys: z.array(z.object(keyRecord)) });
export const revokedKeyResponseSchema = z.object({ keyHash: z.string(), revokedAt: z.string() });
