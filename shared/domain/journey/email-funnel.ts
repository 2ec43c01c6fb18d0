import { datesBetween } from '../dates.ts';
import type { EmailAction } from '../event-schema.ts';
import { byCodeUnit, pushTo } from '../metrics/partial.ts';
import { estimateUnion } from '../metrics/user-sketch.ts';
import { rate } from '../rates.ts';
import type { EmailCell, EmailCounts, JourneyDay, JourneyPartial } from './journey-day.ts';

/** The counts and their rates (`null` when the denominator is 0). */
export interface EmailFigures extends EmailCounts {
  deliveryRate: number | null;
  bounceRate: number | null;
  openRate: number | null;
  clickRate: number | null;
  clickToOpenRate: number | null;
  unsubscribeRate: number | null;
  complaintRate: number | null;
  /** subscribed − unsubscribed − complained. */
  listGrowth: number;
}

/** `GET /v1/metrics/email`. */
export interface EmailFunnelResult {
  from: string;
  to: string;
  groupBy: 'campaign' | 'day';
  totals: EmailFigures;
  rows: Array<{ key: string } & EmailFigures>;
}

const COUNT_OF: Readonly<Record<EmailAction, keyof EmailCounts>> = {
  sent: 'sent',
  delivered: 'delivered',
  bounce: 'bounced',
  open: 'opened',
  click: 'clicked',
  unsubscribe: 'unsubscribed',
  complaint: 'complained',
  subscribe: 'subscribed',
};

/**
 * The e-mail funnel over a range. A count is distinct recipients per campaign (three opens by one
 * recipient are one opened), summed over campaigns: a campaign's recipients are merged over the
 * whole range, and a day's row over that day. So the day rows of a range can add up to more than
 * its totals, when a recipient acts on two days. Exact up to 256 recipients per campaign, action
 * and stored day or block, then HyperLogLog (≈1.6% standard error).
 *
 * Day rows come from each stored day's own counts (`emailDays`, set by {@link withEmailDay}), so
 * blocks of days answer them too.
 */
export function emailFunnel(
  partial: JourneyPartial,
  props: { readonly from: string; readonly to: string; readonly groupBy: 'campaign' | 'day' },
): EmailFunnelResult {
  const byCampaign = new Map<string, EmailCell[]>();
  const dayRows: Array<{ key: string } & EmailFigures> = [];
  for (const date of datesBetween(props.from, props.to)) {
    const day = Object.hasOwn(partial.days, date) ? partial.days[date] : undefined;
    if (!day) continue;
    for (const [campaign, cell] of Object.entries(day.email)) {
      pushTo(byCampaign, campaign, cell);
    }
    for (const [held, counts] of Object.entries(day.emailDays)) {
      if (held >= props.from && held <= props.to) dayRows.push({ key: held, ...figuresOf(counts) });
    }
  }
  dayRows.sort((a, b) => byCodeUnit(a.key, b.key));
  // Each campaign's recipients over the range, merged once: its row, and its share of the totals.
  const campaigns = [...byCampaign.keys()]
    .sort(byCodeUnit)
    .map((campaign) => ({ key: campaign, counts: countsOf(byCampaign.get(campaign) ?? []) }));
  const rows =
    props.groupBy === 'day'
      ? dayRows
      : campaigns
          .map(({ key, counts }) => ({ key, ...figuresOf(counts) }))
          .sort((a, b) => b.sent - a.sent || b.delivered - a.delivered || byCodeUnit(a.key, b.key));
  return {
    from: props.from,
    to: props.to,
    groupBy: props.groupBy,
    totals: figuresOf(sumCounts(campaigns.map(({ counts }) => counts))),
    rows,
  };
}

/**
 * A day as stored: with its e-mail counts under its date (each campaign's recipients of the day,
 * summed), when it has e-mail cells.
 */
export function withEmailDay(day: JourneyDay, date: string): JourneyDay {
  const cells = Object.values(day.email);
  if (cells.length === 0) return { ...day, emailDays: {} };
  return { ...day, emailDays: { [date]: sumCounts(cells.map((cell) => countsOf([cell]))) } };
}

/** One campaign's counts: the distinct recipients of its cells merged, per action. */
function countsOf(cells: readonly EmailCell[]): EmailCounts {
  const counts = emptyCounts();
  for (const [action, field] of Object.entries(COUNT_OF) as Array<[EmailAction, keyof EmailCounts]>) {
    const sketches = cells.map((cell) => cell[action]).filter((sketch) => sketch !== undefined);
    if (sketches.length > 0) counts[field] = estimateUnion(sketches);
  }
  return counts;
}

function sumCounts(list: readonly EmailCounts[]): EmailCounts {
  const sum = emptyCounts();
  for (const counts of list) {
    for (const field of Object.keys(sum) as Array<keyof EmailCounts>) sum[field] += counts[field];
  }
  return sum;
}

function emptyCounts(): EmailCounts {
  return {
    sent: 0,
    delivered: 0,
    bounced: 0,
    opened: 0,
    clicked: 0,
    unsubscribed: 0,
    complained: 0,
    subscribed: 0,
  };
}

/** Counts with their rates. */
function figuresOf(counts: EmailCounts): EmailFigures {
  return {
    ...counts,
    deliveryRate: rate(counts.delivered, counts.sent),
    bounceRate: rate(counts.bounced, counts.sent),
    openRate: rate(counts.opened, counts.delivered),
    clickRate: rate(counts.clicked, counts.delivered),
    clickToOpenRate: rate(counts.clicked, counts.opened),
    unsubscribeRate: rate(counts.unsubscribed, counts.delivered),
    complaintRate: rate(counts.complained, counts.delivered),
    listGrowth: counts.subscribed - counts.unsubscribed - counts.complained,
  };
}
