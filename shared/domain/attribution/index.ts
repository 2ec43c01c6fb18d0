/**
 * Multi-touch attribution (docs/attribution.md): the compute SQL (shared/metrics/) emits mergeable
 * statistics per person bucket and day; `attribute` and `compareModels` merge a date range and
 * solve the seven models.
 */
export { addAttributionSpend } from './add-spend.ts';
export type {
  AttributeProps,
  AttributionResult,
  AttributionRow,
  GroupBy,
  ModelComparison,
  ModelComparisonRow,
} from './finalise.ts';
export { attribute, compareModels, UNATTRIBUTED } from './finalise.ts';
export { solveMarkov } from './markov.ts';
export type { HeuristicModel, Model } from './models.ts';
export { apportion, CREDIT_UNIT, HEURISTIC_MODELS, MODELS, touchWeights } from './models.ts';
export type { AttributionDay, AttributionPartial } from './partial.ts';
export { attributionDaySchema, emptyAttributionDay, mergeAttribution } from './partial.ts';
