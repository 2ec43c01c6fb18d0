/**
 * Metrics core: mergeable day partials (filled from the SQL in `shared/metrics/`), spend, and the
 * finalisers that turn a date range into the metric responses.
 */
export type { AddSpendProps } from './add-spend.ts';
export { addSpend } from './add-spend.ts';
export type {
  ChannelShareProps,
  ChannelShareResult,
  ChannelShareRow,
  CpaByStageProps,
  CpaByStageResult,
  DateRangeProps,
  ReferralDomainRow,
  ReferralTrafficProps,
  ReferralTrafficResult,
  ShareBasis,
  ShareOfVoiceEntry,
  ShareOfVoiceProps,
  ShareOfVoiceResult,
  StageCostRow,
  VoiceSource,
} from './finalise.ts';
export { channelShare, cpaByStage, referralTraffic, shareOfVoice } from './finalise.ts';
export type { DayPartial, MetricsPartial, ReferralCategory, ReferralCell, StageCell } from './partial.ts';
export {
  boundMetricsDays,
  dayPartialSchema,
  emptyPartial,
  mergeAll,
  mergePartials,
  metricsPartialSchema,
} from './partial.ts';
export { estimateUsers, hashUserKey, mergeSketches, sketchOfHashes } from './user-sketch.ts';
