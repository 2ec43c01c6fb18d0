/**
 * The journey map's figures from the API's answers: each stage's people and KPIs, and the step
 * from the previous stage (`GET /v1/metrics/funnel`). Plain data, no DOM.
 */
import type { z } from 'zod';
import type {
  adsResponseSchema,
  cartResponseSchema,
  cpaByStageResponseSchema,
  emailResponseSchema,
  funnelResponseSchema,
  npsResponseSchema,
  shareOfVoiceResponseSchema,
  visitorsResponseSchema,
} from '../shared/http/api-schemas.ts';
import type { Kind } from './format.ts';

export interface JourneyAnswers {
  funnel: z.infer<typeof funnelResponseSchema>;
  cpa: z.infer<typeof cpaByStageResponseSchema>;
  ads: z.infer<typeof adsResponseSchema>;
  visitors: z.infer<typeof visitorsResponseSchema>;
  email: z.infer<typeof emailResponseSchema>;
  cart: z.infer<typeof cartResponseSchema>;
  nps: z.infer<typeof npsResponseSchema>;
  /** The share-of-voice series of the range: its points add up to the range's counts. */
  voice: Array<z.infer<typeof shareOfVoiceResponseSchema>>;
}

export interface Kpi {
  readonly key: string;
  readonly label: string;
  readonly kind: Kind;
  readonly value: number | null;
}

export interface StageView {
  readonly stage: string;
  readonly people: number;
  /** Of the previous stage's people, the share also in this one (null for the first stage). */
  readonly fromPrevious: number | null;
  readonly medianDaysFromPrevious: number | null;
  readonly kpis: readonly Kpi[];
}

const ratio = (numerator: number, denominator: number) =>
  denominator === 0 ? null : numerator / denominator;

export function journeyStages(a: JourneyAnswers): StageView[] {
  const sum = (pick: (row: JourneyAnswers['ads']['rows'][number]) => number) =>
    a.ads.rows.reduce((total, row) => total + pick(row), 0);
  const impressions = sum((r) => r.impressions);
  // Counts, not shares, add up over points: the brand is never cut from a point and `total` has everyone.
  const brand = a.voice.reduce((n, p) => n + (p.entries.find((e) => e.isBrand)?.count ?? 0), 0);
  const voices = a.voice.reduce((n, p) => n + p.total, 0);
  const events = (stage: string) => a.cpa.stages.find((s) => s.stage === stage);
  const totals = a.email.totals;
  const kpis: Record<string, Kpi[]> = {
    awareness: [
      { key: 'impressions', label: 'ad impressions', kind: 'count', value: impressions },
      { key: 'shareOfVoice', label: 'share of voice', kind: 'percent', value: ratio(brand, voices) },
      { key: 'cpm', label: 'CPM', kind: 'money', value: ratio(1000 * sum((r) => r.spend), impressions) },
    ],
    consideration: [
      { key: 'visitors', label: 'visitors', kind: 'count', value: a.visitors.visitors },
      { key: 'visits', label: 'visits', kind: 'count', value: a.visitors.visits },
      { key: 'bounceRate', label: 'bounce rate', kind: 'percent', value: a.visitors.bounceRate },
      {
        key: 'ctr',
        label: 'ad CTR',
        kind: 'percent',
        value: ratio(
          sum((r) => r.clicks),
          impressions,
        ),
      },
      { key: 'emailOpenRate', label: 'e-mail open rate', kind: 'percent', value: totals.openRate },
    ],
    decision: [
      { key: 'conversions', label: 'conversions', kind: 'count', value: events('decision')?.events ?? 0 },
      { key: 'cpa', label: 'CPA', kind: 'money', value: events('decision')?.costPerEvent ?? null },
      { key: 'cartAbandonment', label: 'cart abandonment', kind: 'percent', value: a.cart.abandonmentRate },
    ],
    retention: [
      {
        key: 'repeatConversions',
        label: 'repeat conversions',
        kind: 'count',
        value: events('retention')?.events ?? 0,
      },
      { key: 'emailClickRate', label: 'e-mail click rate', kind: 'percent', value: totals.clickRate },
      { key: 'unsubscribeRate', label: 'unsubscribe rate', kind: 'percent', value: totals.unsubscribeRate },
    ],
    advocacy: [
      { key: 'nps', label: 'NPS', kind: 'decimal', value: a.nps.score },
      { key: 'npsResponses', label: 'NPS answers', kind: 'count', value: a.nps.responses },
      {
        key: 'advocacyEvents',
        label: 'shares, referrals, reviews',
        kind: 'count',
        value: events('advocacy')?.events ?? 0,
      },
    ],
  };
  return a.funnel.stages.map((s) => ({
    stage: s.stage,
    people: s.users,
    fromPrevious: s.fromPrevious,
    medianDaysFromPrevious: s.medianDaysFromPrevious,
    kpis: kpis[s.stage] ?? [],
  }));
}
