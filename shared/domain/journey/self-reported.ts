import type { ModelComparison } from '../attribution/finalise.ts';
import { MODELS, type Model } from '../attribution/models.ts';
import { CHANNEL_IDS, type ChannelId } from '../channel-ids.ts';
import { datesBetween } from '../dates.ts';
import { byCodeUnit } from '../metrics/partial.ts';
import { rate } from '../rates.ts';
import { type JourneyDay, mergeJourneyDays } from './journey-day.ts';

export interface SelfReportedAnswer {
  answer: string;
  /** The channel the answer stands for (`surveyAnswers` in the config, or an answer that is a channel id). */
  channel: ChannelId | null;
  responses: number;
  share: number;
}

export interface SelfReported {
  /** "How did you hear about us" answers in the range (each person once a day). */
  responses: number;
  /** The most given answers. */
  answers: SelfReportedAnswer[];
  /** Responses per channel, of the answers that stand for one. */
  byChannel: Partial<Record<ChannelId, number>>;
}

const CHANNELS = new Set<string>(CHANNEL_IDS);

/**
 * Where customers say they came from over a range, for the model comparison: the answers to the
 * `source` survey, each mapped to a channel when the config names one for it (or it is one).
 */
export function selfReported(
  partial: { days: Record<string, JourneyDay> },
  props: { readonly from: string; readonly to: string; readonly limit: number },
  channelOf: Readonly<Record<string, ChannelId>>,
): SelfReported {
  const parts: JourneyDay[] = [];
  for (const date of datesBetween(props.from, props.to)) {
    const day = Object.hasOwn(partial.days, date) ? partial.days[date] : undefined;
    if (day) parts.push(day);
  }
  const merged = mergeJourneyDays(parts);
  const entries = Object.entries(merged.surveyAnswers);
  const responses = entries.reduce((sum, [, n]) => sum + n, merged.otherSurveyAnswers);
  const mapped = (answer: string): ChannelId | null =>
    Object.hasOwn(channelOf, answer)
      ? (channelOf[answer] as ChannelId)
      : CHANNELS.has(answer)
        ? (answer as ChannelId)
        : null;
  const byChannel: Partial<Record<ChannelId, number>> = {};
  for (const [answer, n] of entries) {
    const channel = mapped(answer);
    if (channel) byChannel[channel] = (byChannel[channel] ?? 0) + n;
  }
  const answers = entries
    .sort(([a, x], [b, y]) => y - x || byCodeUnit(a, b))
    .slice(0, props.limit)
    .map(([answer, n]) => ({
      answer,
      channel: mapped(answer),
      responses: n,
      share: rate(n, responses) ?? 0,
    }));
  return { responses, answers, byChannel };
}

/**
 * A model comparison with where customers say they came from beside the models: each channel row
 * gets its self-reported responses, and a channel only customers name gets a row of its own.
 */
export function withSelfReported(comparison: ModelComparison, reported: SelfReported) {
  const rows = comparison.rows.map((row) => ({
    ...row,
    selfReported: reported.byChannel[row.channel as ChannelId] ?? 0,
  }));
  for (const [channel, responses] of Object.entries(reported.byChannel)) {
    if (rows.some((row) => row.channel === channel)) continue;
    const none = <T>(value: T) =>
      Object.fromEntries(MODELS.map((model) => [model, value])) as Record<Model, T>;
    rows.push({
      channel,
      spend: 0,
      conversions: none(0),
      value: none(0),
      cpa: none(null),
      roas: none(null),
      selfReported: responses,
    });
  }
  return { ...comparison, rows, selfReported: { responses: reported.responses, answers: reported.answers } };
}
