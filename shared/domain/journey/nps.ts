import type { ChannelId } from '../channel-ids.ts';
import { datesBetween } from '../dates.ts';
import { CHANNEL_RANK, orderedKeys, pushTo } from '../metrics/partial.ts';
import type { JourneyPartial, NpsAnswer } from './journey-day.ts';

/** Promoters, passives and detractors among respondents, and the score. */
export interface NpsFigures {
  responses: number;
  /** Scores 9–10. */
  promoters: number;
  /** Scores 7–8. */
  passives: number;
  /** Scores 0–6. */
  detractors: number;
  /** 100 × (promoters − detractors) / responses, to one decimal; `null` without responses. */
  score: number | null;
}

/** `GET /v1/metrics/nps`. */
export interface NpsResult extends NpsFigures {
  from: string;
  to: string;
  groupBy: 'channel';
  rows: Array<{ key: ChannelId } & NpsFigures>;
}

/**
 * Net Promoter Score over a range: each person's latest NPS answer in it (the answers of single
 * stored days: blocks do not keep them), rows by the channel of the person's first touch in the
 * lookback before that answer (`direct` without one), channels in their usual order.
 */
export function netPromoterScore(
  partial: JourneyPartial,
  props: { readonly from: string; readonly to: string },
): NpsResult {
  const latest = new Map<string, NpsAnswer>();
  for (const date of datesBetween(props.from, props.to)) {
    const day = Object.hasOwn(partial.days, date) ? partial.days[date] : undefined;
    for (const answer of day?.nps ?? []) {
      const seen = latest.get(answer[0]);
      if (!seen || answer[1] > seen[1]) latest.set(answer[0], answer);
    }
  }
  const byChannel = new Map<ChannelId, number[]>();
  for (const [, , score, channel] of latest.values()) pushTo(byChannel, channel, score);
  const rows = orderedKeys(byChannel.keys(), CHANNEL_RANK).map((channel) => ({
    key: channel as ChannelId,
    ...figuresOf(byChannel.get(channel as ChannelId) ?? []),
  }));
  return {
    from: props.from,
    to: props.to,
    groupBy: 'channel',
    ...figuresOf([...latest.values()].map((answer) => answer[2])),
    rows,
  };
}

function figuresOf(scores: readonly number[]): NpsFigures {
  const promoters = scores.filter((score) => score >= 9).length;
  const passives = scores.filter((score) => score === 7 || score === 8).length;
  const detractors = scores.length - promoters - passives;
  return {
    responses: scores.length,
    promoters,
    passives,
    detractors,
    score: scores.length > 0 ? Math.round((1000 * (promoters - detractors)) / scores.length) / 10 : null,
  };
}
