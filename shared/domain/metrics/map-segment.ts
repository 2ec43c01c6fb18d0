import { hash } from 'node:crypto';
import type { ChannelId } from '../channel-ids.ts';
import { CHANNEL_IDS } from '../channel-ids.ts';
import { DAY_MS, isCalendarDate, isValidTimeZone, localDate } from '../dates.ts';
import type { Stage } from '../event-schema.ts';
import { STAGES } from '../event-schema.ts';
import type { NormalisedEvent } from '../normalised-event.ts';
import type { DayPartial, MetricsPartial, ReferralCategory, ReferralCell, StageCell } from './partial.ts';
import {
  byCodeUnit,
  emptyDay,
  isEmptyDay,
  pickCategory,
  REFERRAL_CATEGORIES,
  recordOf,
  referralRecord,
} from './partial.ts';

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
const NO_STAGE = 255;
const DIRECT = CHANNEL_INDEX.get('direct') ?? 0;
// Events are schema-validated upstream; an unknown channel id can only come from a newer writer.
const UNASSIGNED = CHANNEL_INDEX.get('unassigned') ?? NCH - 1;
const CATEGORY_INDEX = new Map<string, number>(REFERRAL_CATEGORIES.map((c, i) => [c, i]));
const DEFAULT_CATEGORY = CATEGORY_INDEX.get('referral') ?? 2;
const SOURCE_NONE = 0;
const SOURCE_ADS = 1;
const SOURCE_SEARCH = 2;
const FLAG_TOUCH = 1;
const FLAG_CONVERSION = 2;
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
 * Cost: events without a user are counted as they stream by. Events of a user that can matter
 * (touches, conversions, events with voices or a referral domain, inside the range widened by the
 * lookback) are copied into compact columns (≈ 60 bytes each plus the `eventId` string) and counted
 * at the end, user by user, so the input objects themselves can be garbage-collected while
 * streaming. Local dates come from a cache per 15-minute bucket, not from Intl per event.
 *
 * @throws RangeError on an invalid date range, time zone or lookback, or when a count would exceed
 *   `Number.MAX_SAFE_INTEGER`.
 */
export function mapSegment(events: Iterable<NormalisedEvent>, props: MapSegmentProps): MetricsPartial {
  const mapper = new SegmentMapper(props);
  for (const event of events) mapper.add(event);
  return mapper.finish();
}

/**
 * {@link mapSegment} one event at a time, for callers that stream (a scan reads pages
 * asynchronously): `add` every event of the segment, then `finish` once.
 */
export class SegmentMapper {
  readonly #lookbackMs: number;
  readonly #lower: number;
  readonly #upper: number;
  readonly #acc: SegmentAccumulator;
  readonly #buffer = new JourneyBuffer();
  /** Index in the buffer of each user's latest buffered event (earlier ones are chained by `prev`). */
  readonly #tails = new Map<string, number>();
  readonly #seenWithoutUser = new Set<string>();
  #lastKey: string | undefined;
  #lastTail = -1;
  #finished = false;

  constructor(props: MapSegmentProps) {
    validateProps(props);
    this.#lookbackMs = props.lookbackDays * DAY_MS;
    this.#lower = Date.parse(`${props.from}T00:00:00Z`) - MARGIN_MS - this.#lookbackMs;
    this.#upper = Date.parse(`${props.to}T00:00:00Z`) + DAY_MS + MARGIN_MS;
    this.#acc = new SegmentAccumulator(props);
  }

  add(event: NormalisedEvent): void {
    if (this.#finished) throw new Error('SegmentMapper.add after finish');
    const ts = event.ts;
    if (!(ts >= this.#lower && ts < this.#upper)) return;
    const userKey = event.userKey;
    if (userKey === undefined || userKey === '') {
      if (this.#seenWithoutUser.has(event.eventId)) return;
      this.#seenWithoutUser.add(event.eventId);
      const day = this.#acc.dayAt(ts);
      if (day === null) return;
      if (event.type === 'conversion') {
        day.countConversion(
          DIRECT,
          stageCode(event.stage),
          event.count,
          event.valueMicros ?? 0,
          undefined,
          0,
          undefined,
        );
      } else {
        day.countEvent(
          event.touch,
          channelCode(event.channel),
          stageCode(event.stage),
          event.count,
          event.voices,
          sourceCode(event),
          event.referralDomain,
          categoryCode(event.referralCategory),
          undefined,
        );
      }
      return;
    }
    // E-mail sent/delivered/bounce and internal navigation count nowhere: do not hold them.
    if (!event.touch && event.type !== 'conversion' && !event.voices && !event.referralDomain) return;
    // A scan returns a partition's items together, so the Map is only touched when the user changes.
    if (userKey !== this.#lastKey) {
      if (this.#lastKey !== undefined) this.#tails.set(this.#lastKey, this.#lastTail);
      this.#lastKey = userKey;
      this.#lastTail = this.#tails.get(userKey) ?? -1;
    }
    this.#lastTail = this.#buffer.push(event, this.#lastTail);
  }

  finish(): MetricsPartial {
    if (this.#finished) throw new Error('SegmentMapper.finish called twice');
    this.#finished = true;
    const tails = this.#tails;
    const buffer = this.#buffer;
    if (this.#lastKey !== undefined) tails.set(this.#lastKey, this.#lastTail);
    // Users are counted in hash order, so every stage cell receives its user hashes already sorted
    // (one sort of users instead of one sort of strings per cell).
    const userCount = tails.size;
    const hashes = new Array<string>(userCount);
    const prefixes = new Float64Array(userCount);
    const userTails = new Int32Array(userCount);
    let u = 0;
    for (const [userKey, tail] of tails) {
      const digest = hash('sha256', userKey, 'buffer');
      hashes[u] = digest.toString('hex', 0, 8);
      prefixes[u] = digest.readUIntBE(0, 6);
      userTails[u] = tail;
      u++;
    }
    tails.clear();
    const order = new Uint32Array(userCount).map((_, i) => i);
    order.sort(
      (a, b) => (prefixes[a] ?? 0) - (prefixes[b] ?? 0) || byCodeUnit(hashes[a] ?? '', hashes[b] ?? ''),
    );

    const user = new CurrentUser();
    const journey: number[] = [];
    const byTimeThenId = buffer.comparator();
    for (const index of order) {
      user.begin(hashes[index] as string);
      journey.length = 0;
      for (let k = userTails[index] ?? -1; k !== -1; k = buffer.prev[k] ?? -1) journey.push(k);
      journey.reverse();
      if (!isSorted(journey, byTimeThenId)) journey.sort(byTimeThenId);
      countJourney(journey, buffer, this.#acc, user, this.#lookbackMs);
    }
    return this.#acc.toPartial();
  }
}

/** Counts one user's events, in (ts, eventId) order. */
function countJourney(
  journey: readonly number[],
  b: JourneyBuffer,
  acc: SegmentAccumulator,
  user: CurrentUser,
  lookbackMs: number,
): void {
  let lastTouch = -1;
  let previousId: string | undefined;
  for (let i = 0; i < journey.length; i++) {
    const k = journey[i] as number;
    const eventId = b.eventId[k];
    // Sorting by (ts, eventId) puts copies of one event next to each other.
    if (eventId === previousId) continue;
    previousId = eventId;
    const ts = b.ts[k] as number;
    const flags = b.flags[k] as number;
    const day = acc.dayAt(ts);
    if (flags & FLAG_CONVERSION) {
      if (day === null) continue;
      let touch = lastTouch;
      // Touches at the conversion's instant sort after it when their eventId is larger; they count.
      for (let j = i + 1; j < journey.length; j++) {
        const next = journey[j] as number;
        if (b.ts[next] !== ts) break;
        if ((b.flags[next] as number) === FLAG_TOUCH) touch = next;
      }
      if (touch !== -1 && (b.ts[touch] as number) < ts - lookbackMs) touch = -1;
      day.countConversion(
        touch === -1 ? DIRECT : (b.channel[touch] as number),
        b.stage[k] as number,
        b.count[k] as number,
        b.value[k] as number,
        touch === -1 ? undefined : b.referralDomain[touch],
        touch === -1 ? 0 : (b.category[touch] as number),
        user,
      );
    } else {
      const isTouch = (flags & FLAG_TOUCH) !== 0;
      if (day !== null) {
        day.countEvent(
          isTouch,
          b.channel[k] as number,
          b.stage[k] as number,
          b.count[k] as number,
          b.voices[k],
          b.source[k] as number,
          b.referralDomain[k],
          b.category[k] as number,
          user,
        );
      }
      if (isTouch) lastTouch = k;
    }
  }
}

function isSorted(journey: readonly number[], compare: (a: number, b: number) => number): boolean {
  for (let i = 1; i < journey.length; i++) {
    if (compare(journey[i - 1] as number, journey[i] as number) > 0) return false;
  }
  return true;
}

/**
 * The fields of buffered user events, in columns: typed arrays for numbers and codes, plain arrays
 * for the few strings, and `prev` chaining each user's events (newest first) so no per-user array
 * is allocated while reading.
 */
class JourneyBuffer {
  size = 0;
  ts = new Float64Array(1024);
  count = new Float64Array(1024);
  value = new Float64Array(1024);
  prev = new Int32Array(1024);
  channel = new Uint8Array(1024);
  stage = new Uint8Array(1024);
  flags = new Uint8Array(1024);
  source = new Uint8Array(1024);
  category = new Uint8Array(1024);
  readonly eventId: string[] = [];
  readonly referralDomain: Array<string | undefined> = [];
  readonly voices: Array<readonly string[] | undefined> = [];

  /** Appends an event of a user whose previous event is at `prev` (−1: none); returns its index. */
  push(event: NormalisedEvent, prev: number): number {
    const k = this.size;
    if (k === this.ts.length) this.grow();
    this.ts[k] = event.ts;
    this.count[k] = event.count;
    this.value[k] = event.valueMicros ?? 0;
    this.prev[k] = prev;
    this.channel[k] = channelCode(event.channel);
    this.stage[k] = stageCode(event.stage);
    // A conversion is never a touch, whatever its flag says.
    this.flags[k] = event.type === 'conversion' ? FLAG_CONVERSION : event.touch ? FLAG_TOUCH : 0;
    this.source[k] = sourceCode(event);
    this.category[k] = categoryCode(event.referralCategory);
    this.eventId.push(event.eventId);
    this.referralDomain.push(event.referralDomain || undefined);
    this.voices.push(event.voices);
    this.size = k + 1;
    return k;
  }

  /** Orders buffer indices by (ts, eventId). */
  comparator(): (a: number, b: number) => number {
    return (a, b) => {
      const dt = (this.ts[a] as number) - (this.ts[b] as number);
      if (dt !== 0) return dt;
      const x = this.eventId[a] as string;
      const y = this.eventId[b] as string;
      return x < y ? -1 : x > y ? 1 : 0;
    };
  }

  private grow(): void {
    const n = this.ts.length * 2;
    this.ts = grown(this.ts, new Float64Array(n));
    this.count = grown(this.count, new Float64Array(n));
    this.value = grown(this.value, new Float64Array(n));
    this.prev = grown(this.prev, new Int32Array(n));
    this.channel = grown(this.channel, new Uint8Array(n));
    this.stage = grown(this.stage, new Uint8Array(n));
    this.flags = grown(this.flags, new Uint8Array(n));
    this.source = grown(this.source, new Uint8Array(n));
    this.category = grown(this.category, new Uint8Array(n));
  }
}

function grown<T extends Float64Array | Int32Array | Uint8Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

/**
 * The user whose journey is being counted: one reusable object. The ordinal lets each stage cell
 * remember the last user it took, so a user is added to a cell once without a per-cell Set (a
 * user's events are all counted together).
 */
class CurrentUser {
  ordinal = -1;
  hash = '';

  begin(hash: string): void {
    this.ordinal++;
    this.hash = hash;
  }
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

function channelCode(channel: ChannelId): number {
  return CHANNEL_INDEX.get(channel) ?? UNASSIGNED;
}

function stageCode(stage: Stage | undefined): number {
  return stage === undefined ? NO_STAGE : (STAGE_INDEX.get(stage) ?? NO_STAGE);
}

function sourceCode(event: NormalisedEvent): number {
  if (!event.voices) return SOURCE_NONE;
  return event.voiceSource === 'ads'
    ? SOURCE_ADS
    : event.voiceSource === 'search'
      ? SOURCE_SEARCH
      : SOURCE_NONE;
}

function categoryCode(category: ReferralCategory | undefined): number {
  return category === undefined ? DEFAULT_CATEGORY : (CATEGORY_INDEX.get(category) ?? DEFAULT_CATEGORY);
}

/** Mutable per-day counters, indexed by channel (and stage × channel) to avoid per-event objects. */
class DayAccumulator {
  readonly touches = new Float64Array(NCH);
  readonly conversions = new Float64Array(NCH);
  readonly valueMicros = new Float64Array(NCH);
  readonly stageEvents = new Float64Array(NST * NCH);
  readonly stageUsers: Array<string[] | undefined> = new Array(NST * NCH);
  /** Ordinal of the last user added to each stage cell. */
  readonly stageLastUser = new Float64Array(NST * NCH).fill(-1);
  readonly ads = new Map<string, number>();
  readonly search = new Map<string, number>();
  readonly referrals = new Map<string, ReferralCell>();

  /** Counts a non-conversion event: a touch on its own channel, its voices, its referral visit. */
  countEvent(
    touch: boolean,
    channel: number,
    stage: number,
    count: number,
    voices: readonly string[] | undefined,
    source: number,
    referralDomain: string | undefined,
    category: number,
    user: CurrentUser | undefined,
  ): void {
    if (touch) {
      this.touches[channel] = (this.touches[channel] ?? 0) + count;
      this.countStage(stage, channel, count, user);
    }
    if (voices !== undefined && source !== SOURCE_NONE) {
      const counts = source === SOURCE_ADS ? this.ads : this.search;
      for (let i = 0; i < voices.length; i++) {
        const name = voices[i] as string;
        // A name listed twice on one event is still one voice.
        if (voices.indexOf(name) !== i) continue;
        counts.set(name, (counts.get(name) ?? 0) + count);
      }
    }
    if (referralDomain) this.referral(referralDomain, category).visits += count;
  }

  /** Counts a conversion on the channel of its last touch (`direct` without one). */
  countConversion(
    channel: number,
    stage: number,
    count: number,
    valueMicros: number,
    touchDomain: string | undefined,
    touchCategory: number,
    user: CurrentUser | undefined,
  ): void {
    this.conversions[channel] = (this.conversions[channel] ?? 0) + count;
    if (valueMicros > 0) this.valueMicros[channel] = (this.valueMicros[channel] ?? 0) + valueMicros;
    this.countStage(stage, channel, count, user);
    if (touchDomain) this.referral(touchDomain, touchCategory).conversions += count;
  }

  private countStage(stage: number, channel: number, count: number, user: CurrentUser | undefined): void {
    if (stage === NO_STAGE) return;
    const cell = stage * NCH + channel;
    this.stageEvents[cell] = (this.stageEvents[cell] ?? 0) + count;
    if (user === undefined || this.stageLastUser[cell] === user.ordinal) return;
    this.stageLastUser[cell] = user.ordinal;
    const users = this.stageUsers[cell];
    if (users === undefined) this.stageUsers[cell] = [user.hash];
    else users.push(user.hash);
  }

  private referral(domain: string, categoryIndex: number): ReferralCell {
    const category = REFERRAL_CATEGORIES[categoryIndex] ?? 'referral';
    let cell = this.referrals.get(domain);
    if (cell === undefined) {
      cell = { category, visits: 0, conversions: 0 };
      this.referrals.set(domain, cell);
    } else if (cell.category !== category) {
      cell.category = pickCategory(cell.category, category);
    }
    return cell;
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
        cells.push([CHANNEL_IDS[c] as ChannelId, { events, users: users ? sortedUnique(users) : [] }]);
      }
      if (cells.length > 0) day.stages[STAGES[s] as Stage] = Object.fromEntries(cells);
    }
    return day;
  }
}

/** Day accumulators of one segment, found through a per-15-minute-bucket cache. */
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

/**
 * Drops repeats from hashes added in sorted order: users are distinct, but two user keys could
 * (with negligible odds) share a 64-bit hash.
 */
function sortedUnique(hashes: string[]): string[] {
  let n = 0;
  for (let i = 0; i < hashes.length; i++) {
    const value = hashes[i] as string;
    if (n === 0 || hashes[n - 1] !== value) hashes[n++] = value;
  }
  hashes.length = n;
  return hashes;
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
