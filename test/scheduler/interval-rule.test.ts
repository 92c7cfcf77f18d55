import fc from 'fast-check';
import { IntervalBounds, intervalFor, load, solveScale } from '../../src/scheduler/interval-rule';

const rates = fc.array(fc.oneof(fc.constant(0), fc.double({ min: 1e-7, max: 5, noNaN: true })), { minLength: 1, maxLength: 400 });
const bounds = fc
  .record({ minSeconds: fc.double({ min: 1, max: 60, noNaN: true }), qps: fc.double({ min: 0.5, max: 39.9, noNaN: true }), stretch: fc.double({ min: 1, max: 10, noNaN: true }) })
  .map(({ minSeconds, qps, stretch }) => ({ minSeconds, qps, stretch }));

/** The bound as the daemon sets it: at least the period and the round-robin sweep time R/q. */
function boundsFor(b: { minSeconds: number; qps: number; stretch: number }, rooms: number): IntervalBounds {
  return { minSeconds: b.minSeconds, qps: b.qps, maxSeconds: Math.max(b.minSeconds, rooms / b.qps) * b.stretch };
}

describe('interval rule', () => {
  it('keeps every interval within [period, max] and the requests within the budget', () => {
    fc.assert(
      fc.property(rates, bounds, (rs, b) => {
        const bb = boundsFor(b, rs.length);
        const k = solveScale(rs, bb);
        const intervals = rs.map((r) => intervalFor(r, k, bb));
        for (const t of intervals) {
          expect(t).toBeGreaterThanOrEqual(bb.minSeconds);
          expect(t).toBeLessThanOrEqual(bb.maxSeconds);
        }
        expect(load(rs, k, bb)).toBeLessThanOrEqual(bb.qps * (1 + 1e-9));
      }),
    );
  });

  it('uses the budget: when the rooms do not all fit at the period, the requests add up to qps', () => {
    fc.assert(
      fc.property(rates, bounds, (rs, b) => {
        const bb = boundsFor(b, rs.length);
        fc.pre(rs.length / bb.minSeconds > bb.qps);
        expect(load(rs, solveScale(rs, bb), bb)).toBeGreaterThan(bb.qps * (1 - 1e-6));
      }),
    );
  });

  it('gives every room the period when the budget is not saturated (R/q <= period): today\'s behaviour', () => {
    fc.assert(
      fc.property(rates, bounds, (rs, b) => {
        const bb = boundsFor(b, rs.length);
        fc.pre(rs.length / bb.qps <= bb.minSeconds);
        const k = solveScale(rs, bb);
        for (const r of rs) expect(intervalFor(r, k, bb)).toBe(bb.minSeconds);
      }),
    );
  });

  it('orders intervals by rate: a room that changes more is never polled less often', () => {
    fc.assert(
      fc.property(rates, bounds, (rs, b) => {
        const bb = boundsFor(b, rs.length);
        const k = solveScale(rs, bb);
        const sorted = [...rs].sort((x, y) => x - y).map((r) => intervalFor(r, k, bb));
        for (let i = 1; i < sorted.length; i++) expect(sorted[i]!).toBeLessThanOrEqual(sorted[i - 1]! * (1 + 1e-12));
      }),
    );
  });

  it('follows the square root inside the bounds: the issue\'s 2,000 rooms at qps 35', () => {
    // 200 busy rooms with 81 times the rate of 1,800 idle ones (a tenth carry nine tenths of the changes).
    const rs = [...Array<number>(200).fill(81), ...Array<number>(1800).fill(1)];
    // A 5 s period, so the busy rooms' interval is not clamped.
    const bb = { minSeconds: 5, maxSeconds: 3 * (2000 / 35), qps: 35 };
    const k = solveScale(rs, bb);
    const busy = intervalFor(81, k, bb);
    const idle = intervalFor(1, k, bb);
    expect(idle / busy).toBeCloseTo(9, 6);
    // k = Σ√λ / q = (200·9 + 1800) / 35: busy every 11.4 s, idle every 103 s.
    expect(busy).toBeCloseTo(3600 / 35 / 9, 6);
    expect(idle).toBeCloseTo(3600 / 35, 6);
    // With the default 15 s period the busy rooms stop at the period and the idle ones share the rest.
    const at15 = { ...bb, minSeconds: 15 };
    const k15 = solveScale(rs, at15);
    expect(intervalFor(81, k15, at15)).toBe(15);
    expect(1800 / intervalFor(1, k15, at15)).toBeCloseTo(35 - 200 / 15, 6);
    // Equal rates: round-robin's R/q.
    expect(intervalFor(1, solveScale(Array<number>(2000).fill(1), bb), bb)).toBeCloseTo(2000 / 35, 6);
  });
});
