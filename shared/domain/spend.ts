import { z } from 'zod';
import { channelIdSchema } from './channel-ids.ts';
import type { ChannelClassifier } from './channels.ts';
import { calendarDateSchema } from './dates.ts';

import { currencySchema, MAX_AMOUNT, NETWORKS, wellFormedText } from './event-schema.ts';
import type { SpendRow } from './normalised-event.ts';
import { parseOrThrow } from './zod-issues.ts';

export const MAX_SPEND_ROWS = 5_000;

/** Google Ads sends 64-bit integers as strings; beyond 2⁵³ they would not stay exact. */
const integerLike = z.union([
  z.int().min(0).max(Number.MAX_SAFE_INTEGER),
  z
    .string()
    .regex(/^\d{1,16}$/, 'must be a whole number of at most 16 digits')
    .transform(Number)
    .refine(Number.isSafeInteger, 'is too large to keep exact'),
]);

/** Our own spend row (README: Sending data, Configuration): `amount` in currency units or `costMicros`, not both. */
const plainRowSchema = z
  .object({
    date: calendarDateSchema,
    channel: channelIdSchema.optional(),
    platform: wellFormedText(64).toLowerCase().optional(),
    network: z.enum(NETWORKS).optional(),
    campaign: wellFormedText(256).optional(),
    amount: z.number().finite().min(0).max(MAX_AMOUNT).optional(),
    costMicros: integerLike.optional(),
    currency: currencySchema,
    impressions: integerLike.optional(),
    clicks: integerLike.optional(),
  })
  .superRefine((row, ctx) => {
    if ((row.amount === undefined) === (row.costMicros === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['amount'],
        message: 'give exactly one of amount and costMicros',
      });
    }
  });

/** Every field of our own spend row (files of spend rows are checked against these). */
export const SPEND_ROW_FIELDS: readonly string[] = Object.keys(plainRowSchema.shape);

/** Google Ads API (GAQL search) result rows, accepted as they come. */
const GOOGLE_CHANNEL_TYPES: Readonly<Record<string, (typeof NETWORKS)[number] | 'cross'>> = {
  SEARCH: 'search',
  DISPLAY: 'display',
  SHOPPING: 'shopping',
  VIDEO: 'video',
  DISCOVERY: 'social',
  DEMAND_GEN: 'social',
  PERFORMANCE_MAX: 'cross',
};
const googleAdsRowSchema = z.object({
  campaign: z.object({
    // The campaign when it has no name: a key of the spend table, so bounded like a name.
    id: z
      .union([wellFormedText(256), z.number()])
      .refine(
        (id) => typeof id !== 'number' || (Number.isSafeInteger(id) && id >= 0),
        'must be a whole number from 0 to 2^53 − 1, or text',
      )
      .optional(),
    name: wellFormedText(256).optional(),
    advertisingChannelType: z.string().optional(),
  }),
  metrics: z.object({
    costMicros: integerLike,
    impressions: integerLike.optional(),
    clicks: integerLike.optional(),
  }),
  segments: z.object({ date: calendarDateSchema }),
  customer: z.object({ currencyCode: currencySchema.optional() }).optional(),
});

export const spendBodySchema = z.object({
  rows: z
    .array(z.unknown())
    .min(1, 'must hold at least one row')
    .max(MAX_SPEND_ROWS, `must hold at most ${MAX_SPEND_ROWS} rows`),
});

export interface SpendNormaliserProps {
  readonly classifier: ChannelClassifier;
  readonly currency: string;
}

/**
 * Validates and normalises a `POST /v1/spend` body. The whole request is refused when any row
 * is bad (an upload is a unit; half of it applied would be hard to notice).
 */
export function normaliseSpendBody(body: unknown, props: SpendNormaliserProps): SpendRow[] {
  const { rows } = parseOrThrow(spendBodySchema, body, 'request body');
  return rows.map((row, index) => {
    const isGoogle = typeof row === 'object' && row !== null && 'metrics' in row && 'segments' in row;
    return isGoogle ? fromGoogleAds(row, index, props) : fromPlain(row, index, props);
  });
}

function fromPlain(input: unknown, index: number, props: SpendNormaliserProps): SpendRow {
  const row = parseOrThrow(plainRowSchema, input, 'spend row', ['rows', index]);
  checkCurrency(row.currency, index, 'currency', props.currency);
  const platform = row.platform ?? 'unknown';
  return withCounts(
    {
      date: row.date,
      channel:
        row.channel ?? props.classifier.classify({ eventType: 'ad_click', platform, network: row.network }),
      platform,
      campaign: row.campaign ?? '(none)',
      costMicros: row.costMicros ?? Math.round((row.amount ?? 0) * 1_000_000),
      currency: row.currency,
    },
    row,
  );
}

function fromGoogleAds(input: unknown, index: number, props: SpendNormaliserProps): SpendRow {
  const row = parseOrThrow(googleAdsRowSchema, input, 'Google Ads row', ['rows', index]);
  const currency = row.customer?.currencyCode ?? props.currency;
  checkCurrency(currency, index, 'customer.currencyCode', props.currency);
  const type = GOOGLE_CHANNEL_TYPES[row.campaign.advertisingChannelType ?? 'SEARCH'] ?? 'search';
  return withCounts(
    {
      date: row.segments.date,
      channel:
        type === 'cross'
          ? 'cross_network'
          : props.classifier.classify({ eventType: 'ad_click', platform: 'google_ads', network: type }),
      platform: 'google_ads',
      campaign: row.campaign.name ?? String(row.campaign.id ?? '(none)'),
      costMicros: row.metrics.costMicros,
      currency,
    },
    row.metrics,
  );
}

function withCounts(
  row: SpendRow,
  counts: { impressions?: number | undefined; clicks?: number | undefined },
): SpendRow {
  return {
    ...row,
    ...(counts.impressions === undefined ? {} : { impressions: counts.impressions }),
    ...(counts.clicks === undefined ? {} : { clicks: counts.clicks }),
  };
}

function checkCurrency(currency: string, index: number, field: string, expected: string): void {
  if (currency === expected) return;
  parseOrThrow(
    z.literal(expected, { message: `must be ${expected}, the configured currency` }),
    currency,
    'spend row',
    ['rows', index, ...field.split('.')],
  );
}
