import { describe, expect, it } from 'vitest';
import {
  type AttributionDay,
  attributionDaySchema,
  creditKey,
  emptyAttributionDay,
  mergeAttributionDays,
} from '#domain/attribution/partial.ts';

const key = creditKey('paid_search', 'brand');
const day = (): AttributionDay => ({
  credits: {
    first_touch: { [key]: { credit: 1e9, valueMicros: 5e6 } },
    last_touch: { [key]: { credit: 1e9, valueMicros: 5e6 } },
    linear: {},
    time_decay: {},
    position_based: {},
  },
  transitions: { [creditKey('(start)', 'paid_search')]: 1 },
  channelSets: { paid_search: { conversions: 1, valueMicros: 5e6 } },
  touchless: { conversions: 0, valueMicros: 0 },
  touches: { [key]: 3 },
  spendMicros: { [key]: 2e6 },
});

describe('attributionDaySchema', () => {
  it('hands back a stored day as it was read', () => {
    const stored = JSON.parse(JSON.stringify(day()));
    expect(attributionDaySchema.parse(stored)).toEqual(day());
  });

  it.each([
    ['a negative count', ['touches', key], -1],
    ['a count as text', ['spendMicros', key], '2'],
    ['a cell without its value', ['credits', 'last_touch', key, 'valueMicros'], undefined],
    ['a cell that is a number', ['channelSets', 'paid_search'], 1],
    ['a record that is a list', ['transitions'], [1]],
    ['a missing record', ['touches'], undefined],
  ])('refuses %s, naming where', (_, path, value) => {
    const stored = JSON.parse(JSON.stringify(day()));
    const field = path.at(-1) as string;
    const holder = path.slice(0, -1).reduce((object, step) => object[step], stored);
    if (value === undefined) delete holder[field];
    else holder[field] = value;
    const result = attributionDaySchema.safeParse(stored);
    expect(result.success).toBe(false);
    // A cell is named as a whole.
    expect(result.error?.issues.map((issue) => issue.path)).toEqual([path.slice(0, 3)]);
  });
});

describe('mergeAttributionDays', () => {
  it('sums only the fields asked for, the others left empty', () => {
    const days = [day(), day()];
    const all = mergeAttributionDays(days);
    const some = mergeAttributionDays(days, { credits: ['last_touch'], paths: false, touches: false });
    expect(some).toEqual({
      ...emptyAttributionDay(),
      credits: { ...emptyAttributionDay().credits, last_touch: all.credits.last_touch },
      touchless: all.touchless,
      spendMicros: all.spendMicros,
    });
    expect(mergeAttributionDays(days, { credits: [], paths: true, touches: true })).toEqual({
      ...all,
      credits: emptyAttributionDay().credits,
    });
  });
});
