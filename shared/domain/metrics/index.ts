/**
 * Metrics core (DESIGN §4 "Metrics"): map a scan segment to a mergeable partial, merge partials,
 * fold in spend, and finalise a date range into the four metric responses.
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
export type { MapSegmentProps } from './map-segment.ts';
export { mapSegment, SegmentMapper } from './map-segment.ts';
export type { DayPartial, MetricsPartial, ReferralCategory, ReferralCell, StageCell } from './partial.ts';
export {
  dayPartialSchema,
  emptyPartial,
  mergeAll,
  mergePartials,
  metricsPartialSchema,
  userHash,
} from './partial.ts';
