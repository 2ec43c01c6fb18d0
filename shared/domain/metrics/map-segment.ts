import type { ChannelId } from '../channel-ids.ts';
import { CHANNEL_IDS } from '../channel-ids.ts';
import { DAY_MS, isCalendarDate, isValidTimeZone, localDate } from '../dates.ts';
import type { Stage } from '../event-schema.ts';
import { STAGES } from '../event-schema.ts';
import type { NormalisedEvent } from '../normalised-event.ts';
import type { DayPartial, MetricsPartial, ReferralCategory, ReferralCell, StageCell } from './partial.ts';
import { emptyDay, isEmptyDay, pickCategory, recordOf, referralRecord, userHash } from './partial.ts';

/** What one map task computes. */
export interface MapSegmentProps {
  /** First calendar day counted (`YYYY-MM-DD`, in `timeZone`). */
  readonly from: string;
  /** Last calendar day counted, inclusive. */
  readonly to: string;
  /** IANA zone whose calendar days the partial is keyed by. */
  readonly timeZone: string;
  /** How far before a conversion a touch may be and still be its last touch. */
  readonly lookbackDays: number;
}

const NCH = CHANNEL_IDS.length;
const NST = STAGES.length;
const CHANNEL_INDEX = new Map<string, number>(CHANNEL_IDS.map((id, i) => [id, i]));
const STAGE_INDEX = new Map<string, number>(STAGES.map((stage, i) => [stage, i]));
const DIRECT = CHANNEL_INDEX.get('direct') ?? 0;
// Events are schema-validated upstream; an unknown channel id can only come from a newer writer.
const UNASSIGNED = CHANNEL_INDEX.get('unassigned') ?? NCH - 1;
/** Every UTC offset in use is a multiple of 15 minutes, so local dates change only on these bounds. */
const BUCKET_MS = 15 * 60_000;
/** Offsets lie within −12 h … +14 h; two days of margin around the range is safely wide. */
const MARGIN_MS = 2 * DAY_MS;

/**
 * The map step of compute (DESIGN §2 principle 4): turns the events of one scan segment into a
 * {@link MetricsPartial}. A segment holds whole journeys (every event of a `userKey`); events without
 * a user may be in any segment and are counted where they are.
 *
 * Only events whose local date is in [`from`, `to`] are counted. A conversion's last touch is the
 * user's latest `touch === true` event at or before it (ties on `ts` broken by `eventId`) and at
 * most `lookbackDays` × 24 h before it, which may lie before `from`; with none, or with no user,
 * it is `direct`. Copies of one event (same `eventId` for the same user and instant, or any
 * repeated `eventId` among events without a user) count once.
 *
 * Memory: events of users that can matter (touches, conversions, events with voices or a referral
 * domain, inside the window widened by the lookback) are held until the end, grouped by user; the
 * caller should hand in lean objects (a projected scan) rather than full items.
 *
 * @throws RangeError on an invalid date range, time zone or lookback, or when a count would exceed
 *   `Number.MAX_SAFE_INTEGER`.
 */
export function mapSegment(events: Iterable<NormalisedEvent>, props: MapSegmentProps): MetricsPartial {
  validateProps(props);
  const lookbackMs = props.lookbackDays * DAY_MS;
  const lower = Date.parse(`${props.from}T00:00:00Z`) - MARGIN_MS - lookbackMs;
  const upper = Date.parse(`${props.to}T00:00:00Z`) + DAY_MS + MARGIN_MS;
  const acc = new SegmentAccumulator(props);
  const byUser = new Map<string, NormalisedEvent[]>();
  const seenWithoutUser = new Set<string>();

  for (const event of events) {
    const ts = event.ts;
    if (!(ts >= lower && ts < upper)) continue;
    const userKey = event.userKey;
    if (userKey === undefined || userKey === '') {
      if (seenWithoutUser.has(event.eventId)) continue;
      seenWithoutUser.add(event.eventId);
      const day = acc.dayAt(ts);
      if (day === null) continue;
      if (event.type === 'conversion') acc.countConversion(day, event, undefined, undefined);
      else acc.countEvent(day, event, undefined);
      continue;
    }
    // E-mail sent/delivered/bounce and internal navigation count nowhere: do not hold them.
    if (!event.touch && event.type !== 'conversion' && !event.voices && !event.referralDomain) continue;
    const journey = byUser.get(userKey);
    if (journey) journey.push(event);
    else byUser.set(userKey, [event]);
  }

  for (const [userKey, journey] of byUser) {
    if (journey.length > 1) journey.sort(byTimeThenId);
    let hash: string | undefined;
    let lastTouch: NormalisedEvent | undefined;
    let previousId: string | undefined;
    for (let i = 0; i < journey.length; i++) {
      const event = journey[i] as NormalisedEvent;
      // Sorting by (ts, eventId) puts copies of one event next to each other.
      if (event.eventId === previousId) continue;
      previousId = event.eventId;
      const day = acc.dayAt(event.ts);
      if (event.type === 'conversion') {
        if (day !== null) {
          let touch = lastTouch;
          // Touches at the conversion's instant sort after it when their eventId is larger; they count.
          for (let j = i + 1; j < journey.length; j++) {
            const next = journey[j] as NormalisedEvent;
            if (next.ts !== event.ts) break;
            if (next.touch && next.type !== 'conversion') touch = next;
          }
          if (touch !== undefined && touch.ts < event.ts - lookbackMs) touch = undefined;
          if (event.stage !== undefined) hash ??= userHash(userKey);
          acc.countConversion(day, event, touch, hash);
        }
      } else {
        if (day !== null) {
          if (event.touch && event.stage !== undefined) hash ??= userHash(userKey);
          acc.countEvent(day, event, hash);
        }
        if (event.touch) lastTouch = event;
      }
    }
  }
  return acc.toPartial();
}

function byTimeThenId(a: NormalisedEvent, b: NormalisedEvent): number {
  return a.ts - b.ts || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0);
}

function validateProps(props: MapSegmentProps): void {
  if (!isCalendarDate(props.from) || !isCalendarDate(props.to) || props.from > props.to) {
    throw new RangeError(`invalid date range ${props.from}..${props.to}`);
  }
  if (!Number.isInteger(props.lookbackDays) || props.lookbackDays < 0) {
    throw new RangeError(`lookbackDays must be a non-negative integer, got ${props.lookbackDays}`);
  }
  if (!isValidTimeZone(props.timeZone)) throw new RangeError(`unknown time zone ${props.timeZone}`);
}

function channelIndex(channel: ChannelId): number {
  return CHANNEL_INDEX.get(channel) ?? UNASSIGNED;
}

/** Mutable per-day counters, indexed by channel (and stage × channel) to avoid per-event objects. */
class DayAccumulator {
  readonly touches = new Float64Array(NCH);
  readonly conversions = new Float64Array(NCH);
  readonly valueMicros = new Float64Array(NCH);
  readonly stageEvents = new Float64Array(NST * NCH);
  readonly stageUsers: Array<Set<string> | undefined> = new Array(NST * NCH);
  readonly ads = new Map<string, number>();
  readonly search = new Map<string, number>();
  readonly referrals = new Map<string, ReferralCell>();

  referral(domain: string, category: ReferralCategory | undefined): ReferralCell {
    const cat = category ?? 'referral';
    let cell = this.referrals.get(domain);
    if (cell === undefined) {
      cell = { category: cat, visits: 0, conversions: 0 };
      this.referrals.set(domain, cell);
    } else if (cell.category !== cat) {
      cell.category = pickCategory(cell.category, cat);
    }
    return cell;
  }

  countStage(stage: Stage | undefined, channel: number, count: number, hash: string | undefined): void {
    if (stage === undefined) return;
    const s = STAGE_INDEX.get(stage);
    if (s === undefined) return;
    const cell = s * NCH + channel;
    this.stageEvents[cell] = (this.stageEvents[cell] ?? 0) + count;
    if (hash === undefined) return;
    let users = this.stageUsers[cell];
    if (users === undefined) {
      users = new Set();
      this.stageUsers[cell] = users;
    }
    users.add(hash);
  }

  toDayPartial(): DayPartial {
    const day = emptyDay();
    day.touches = channelRecord(this.touches);
    day.conversions = channelRecord(this.conversions);
    day.valueMicros = channelRecord(this.valueMicros);
    day.voices = { ads: recordOf(checked(this.ads)), search: recordOf(checked(this.search)) };
    for (const cell of this.referrals.values()) {
      assertSafe(cell.visits);
      assertSafe(cell.conversions);
    }
    day.referrals = referralRecord(this.referrals);
    for (let s = 0; s < NST; s++) {
      const cells: Array<[ChannelId, StageCell]> = [];
      for (let c = 0; c < NCH; c++) {
        const events = this.stageEvents[s * NCH + c] ?? 0;
        if (events === 0) continue;
        assertSafe(events);
        const users = this.stageUsers[s * NCH + c];
        // Hex hashes sort the same by code unit as by the default comparator.
        cells.push([CHANNEL_IDS[c] as ChannelId, { events, users: users ? [...users].sort() : [] }]);
      }
      if (cells.length > 0) day.stages[STAGES[s] as Stage] = Object.fromEntries(cells);
    }
    return day;
  }
}

/** Counts one segment into day accumulators. */
class SegmentAccumulator {
  private readonly days = new Map<string, DayAccumulator>();
  /** Day accumulator (or `null`: outside the range) per 15-minute bucket: one Intl call per bucket. */
  private readonly buckets = new Map<number, DayAccumulator | null>();
  private lastBucket = Number.NaN;
  private lastDay: DayAccumulator | null = null;
  private readonly props: MapSegmentProps;

  constructor(props: MapSegmentProps) {
    this.props = props;
  }

  dayAt(ts: number): DayAccumulator | null {
    const bucket = Math.floor(ts / BUCKET_MS);
    if (bucket === this.lastBucket) return this.lastDay;
    let day = this.buckets.get(bucket);
    if (day === undefined) {
      const date = localDate(bucket * BUCKET_MS, this.props.timeZone);
      if (date < this.props.from || date > this.props.to) {
        day = null;
      } else {
        day = this.days.get(date) ?? new DayAccumulator();
        this.days.set(date, day);
      }
      this.buckets.set(bucket, day);
    }
    this.lastBucket = bucket;
    this.lastDay = day;
    return day;
  }

  /** Counts a non-conversion event: a touch on its own channel, its voices, its referral visit. */
  countEvent(day: DayAccumulator, event: NormalisedEvent, hash: string | undefined): void {
    const count = event.count;
    if (event.touch) {
      const channel = channelIndex(event.channel);
      day.touches[channel] = (day.touches[channel] ?? 0) + count;
      day.countStage(event.stage, channel, count, hash);
    }
    const voices = event.voices;
    if (voices !== undefined && event.voiceSource !== undefined) {
      const counts = event.voiceSource === 'ads' ? day.ads : day.search;
      for (let i = 0; i < voices.length; i++) {
        const name = voices[i] as string;
        // A name listed twice on one event is still one voice.
        if (voices.indexOf(name) !== i) continue;
        counts.set(name, (counts.get(name) ?? 0) + count);
      }
    }
    if (event.referralDomain) day.referral(event.referralDomain, event.referralCategory).visits += count;
  }

  /** Counts a conversion on the channel of its last touch (`direct` without one). */
  countConversion(
    day: DayAccumulator,
    event: NormalisedEvent,
    lastTouch: NormalisedEvent | undefined,
    hash: string | undefined,
  ): void {
    const count = event.count;
    const channel = lastTouch === undefined ? DIRECT : channelIndex(lastTouch.channel);
    day.conversions[channel] = (day.conversions[channel] ?? 0) + count;
    if (event.valueMicros) day.valueMicros[channel] = (day.valueMicros[channel] ?? 0) + event.valueMicros;
    day.countStage(event.stage, channel, count, hash);
    if (lastTouch?.referralDomain) {
      day.referral(lastTouch.referralDomain, lastTouch.referralCategory).conversions += count;
    }
  }

  toPartial(): MetricsPartial {
    const entries: Array<[string, DayPartial]> = [];
    for (const date of [...this.days.keys()].sort()) {
      const day = this.days.get(date)?.toDayPartial();
      if (day && !isEmptyDay(day)) entries.push([date, day]);
    }
    return { days: Object.fromEntries(entries) };
  }
}

function channelRecord(values: Float64Array): Partial<Record<ChannelId, number>> {
  const entries: Array<[ChannelId, number]> = [];
  for (let c = 0; c < NCH; c++) {
    const value = values[c] ?? 0;
    if (value === 0) continue;
    assertSafe(value);
    entries.push([CHANNEL_IDS[c] as ChannelId, value]);
  }
  return Object.fromEntries(entries);
}

function checked(counts: Map<string, number>): Map<string, number> {
  for (const value of counts.values()) assertSafe(value);
  return counts;
}

/**
 * Sums of non-negative integers are exact while the final sum is a safe integer (every partial sum
 * is smaller), so checking the result once is enough.
 */
function assertSafe(value: number): void {
  if (!Number.isSafeInteger(value)) {
    throw new RangeError(`metric sum ${value} is not a safe integer; partials must stay exact`);
  }
}
