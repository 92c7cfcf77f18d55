import fc from 'fast-check';
import { HOUR_MS, MAX_LOOKBACK_MS, MAX_SLICE_MS, passRanges, slices, splitRange } from '../../src/discovery/list-room-info-plan';

const NOW = Date.UTC(2026, 10, 30, 12, 0, 0);

describe('ListRoomInfo pass plan', () => {
  it.each([
    ['first pass, 24 h look-back', 24, 60, undefined, 2, NOW - 24 * HOUR_MS],
    ['first pass, 1 h look-back', 1, 60, undefined, 1, NOW - HOUR_MS],
    ['first pass, 336 h look-back stays inside 14 days', 336, 60, undefined, 14, NOW - MAX_LOOKBACK_MS + 60_000],
    ['later pass, 15 s after the last one, 60 s overlap', 24, 60, NOW - 15_000, 1, NOW - 75_000],
    ['later pass after a long pause is bounded by the look-back', 2, 60, NOW - 10 * HOUR_MS, 1, NOW - 2 * HOUR_MS],
  ])('%s', (_name, lookbackHours, overlapSeconds, covered, count, start) => {
    const ranges = passRanges(NOW, lookbackHours * HOUR_MS, overlapSeconds * 1000, covered);
    expect(ranges).toHaveLength(count);
    expect(ranges[0]!.startMs).toBe(start);
    expect(ranges.at(-1)!.endMs).toBe(NOW);
  });

  it('slices are contiguous, cover the range, and each is under 24 h', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20 * 24 * HOUR_MS }), fc.integer({ min: 0, max: 1e9 }), (width, start) => {
        const s = slices({ startMs: start, endMs: start + width });
        if (width === 0) return expect(s).toEqual([]);
        expect(s[0]!.startMs).toBe(start);
        expect(s.at(-1)!.endMs).toBe(start + width);
        s.forEach((r, i) => {
          expect(r.endMs - r.startMs).toBeLessThanOrEqual(MAX_SLICE_MS);
          expect(r.endMs).toBeGreaterThan(r.startMs);
          if (i > 0) expect(r.startMs).toBe(s[i - 1]!.endMs);
        });
      }),
    );
  });

  it('splits a range in two on a whole second, until it is too narrow', () => {
    expect(splitRange({ startMs: 0, endMs: 10_000 })).toEqual([
      { startMs: 0, endMs: 5000 },
      { startMs: 5000, endMs: 10_000 },
    ]);
    expect(splitRange({ startMs: 0, endMs: 1999 })).toBeUndefined();
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e12 }), fc.integer({ min: 2000, max: 48 * HOUR_MS }), (start, width) => {
        const halves = splitRange({ startMs: start, endMs: start + width });
        if (!halves) return;
        const [a, b] = halves;
        expect(a.startMs).toBe(start);
        expect(b.endMs).toBe(start + width);
        expect(a.endMs).toBe(b.startMs);
        expect(a.endMs % 1000).toBe(0);
        expect(a.endMs - a.startMs).toBeLessThan(width);
        expect(b.endMs - b.startMs).toBeLessThan(width);
      }),
    );
  });
});
