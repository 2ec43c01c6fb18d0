import { datesBetween } from '../dates.ts';
import { EMPTY_SKETCH, estimateUnion, type UserSketch } from '../metrics/user-sketch.ts';
import { rate } from '../rates.ts';
import type { JourneyPartial } from './journey-day.ts';

/** `GET /v1/metrics/visitors`. */
export interface VisitorsResult {
  from: string;
  to: string;
  /** People with a page view in the range. */
  visitors: number;
  /** Of those, people whose first page view ever is in the range. */
  newVisitors: number;
  returningVisitors: number;
  /** Visits with a page view (the sender's session, else 30 minutes of inactivity). */
  visits: number;
  /** Page views / visits. */
  pagesPerVisit: number | null;
  /** Visits with a single page view / visits. */
  bounceRate: number | null;
  /** Seconds from a visit's first page view to its last, averaged over visits (to 0.1 s). */
  avgVisitSeconds: number | null;
}

/**
 * New and returning visitors, visits, pages per visit, bounce rate and visit length over a range,
 * from the visit sums and visitor sketches of its stored days and blocks. A visit that spans local
 * midnight counts on each of its days.
 */
export function visitorsSummary(
  partial: JourneyPartial,
  props: { readonly from: string; readonly to: string },
): VisitorsResult {
  const all: UserSketch[] = [];
  const fresh: UserSketch[] = [];
  let visits = 0;
  let pageViews = 0;
  let bounces = 0;
  let visitMs = 0;
  for (const date of datesBetween(props.from, props.to)) {
    const day = Object.hasOwn(partial.days, date) ? partial.days[date] : undefined;
    if (!day) continue;
    all.push(day.visitors.all ?? EMPTY_SKETCH);
    fresh.push(day.visitors.new ?? EMPTY_SKETCH);
    visits += day.visits.visits;
    pageViews += day.visits.pageViews;
    bounces += day.visits.bounces;
    visitMs += day.visits.visitMs;
  }
  const visitors = estimateUnion(all);
  // Both are estimates above 256 people a day: new never exceeds all.
  const newVisitors = Math.min(visitors, estimateUnion(fresh));
  return {
    from: props.from,
    to: props.to,
    visitors,
    newVisitors,
    returningVisitors: visitors - newVisitors,
    visits,
    pagesPerVisit: visits > 0 ? Math.round((pageViews / visits) * 1000) / 1000 : null,
    bounceRate: rate(bounces, visits),
    avgVisitSeconds: visits > 0 ? Math.round(visitMs / visits / 100) / 10 : null,
  };
}
