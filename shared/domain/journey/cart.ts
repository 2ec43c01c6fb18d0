import { datesBetween } from '../dates.ts';
import {
  EMPTY_SKETCH,
  estimateOverlap,
  estimateUnion,
  estimateUsers,
  mergeSketches,
  type UserSketch,
} from '../metrics/user-sketch.ts';
import { rate } from '../rates.ts';
import type { JourneyPartial } from './journey-day.ts';

/** `GET /v1/metrics/cart`. */
export interface CartResult {
  from: string;
  to: string;
  /** Users who added something to a cart in the range. */
  carts: number;
  /** Users who started a checkout in the range. */
  checkouts: number;
  /** Of the carts, users who bought (a `purchase`) at or after an add of theirs within the lookback. */
  purchases: number;
  /** 1 − purchases / carts; `null` without carts. */
  abandonmentRate: number | null;
}

/**
 * Cart abandonment over a range, from the user sketches of its stored days and blocks: the range's
 * buyers (each counted on the day of a purchase that followed an add of theirs within the lookback)
 * intersected with its adders, so a purchase inside the range after an add before it does not count
 * as an abandoned cart saved. Exact while the sketches are (256 users), else HyperLogLog estimates.
 */
export function cartAbandonment(
  partial: JourneyPartial,
  props: { readonly from: string; readonly to: string },
): CartResult {
  const adds: UserSketch[] = [];
  const checkouts: UserSketch[] = [];
  const purchases: UserSketch[] = [];
  for (const date of datesBetween(props.from, props.to)) {
    const cart = Object.hasOwn(partial.days, date) ? partial.days[date]?.cart : undefined;
    if (!cart) continue;
    adds.push(cart.adds ?? EMPTY_SKETCH);
    checkouts.push(cart.checkouts ?? EMPTY_SKETCH);
    purchases.push(cart.purchases ?? EMPTY_SKETCH);
  }
  const adders = mergeSketches(adds);
  const carts = estimateUsers(adders);
  const bought = estimateOverlap(adders, mergeSketches(purchases));
  const abandonment = rate(carts - bought, carts);
  return {
    from: props.from,
    to: props.to,
    carts,
    checkouts: estimateUnion(checkouts),
    purchases: bought,
    abandonmentRate: abandonment,
  };
}
