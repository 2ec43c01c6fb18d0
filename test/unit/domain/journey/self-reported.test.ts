import { describe, expect, it } from 'vitest';
import { emptyJourneyDay } from '#domain/journey/journey-day.ts';
import { selfReported } from '#domain/journey/self-reported.ts';

describe('selfReported', () => {
  it('maps answers through the config, or as channel ids, and adds the days of the range', () => {
    const day = (surveyAnswers: Record<string, number>) => ({ ...emptyJourneyDay(), surveyAnswers });
    const partial = {
      days: {
        '2026-03-01': day({ podcast: 3, email: 1 }),
        '2026-03-02': day({ podcast: 1, 'a friend': 2 }),
        '2026-03-09': day({ podcast: 50 }), // outside the range
      },
    };
    const result = selfReported(
      partial,
      { from: '2026-03-01', to: '2026-03-02', limit: 2 },
      { podcast: 'audio' },
    );
    // podcast 3 + 1 = 4 → audio; email 1 → email; "a friend" 2 → no channel; 7 responses in all.
    expect(result.responses).toBe(7);
    expect(result.byChannel).toEqual({ audio: 4, email: 1 });
    expect(result.answers).toEqual([
      { answer: 'podcast', channel: 'audio', responses: 4, share: 0.571428571429 },
      { answer: 'a friend', channel: null, responses: 2, share: 0.285714285714 },
    ]);
  });
});
