import { AdaptivePlan } from '../../src/scheduler/adaptive-plan';
import { accountBounds, BOUND_MARGIN } from '../../src/scheduler/pump-wiring';

const bounds = { minSeconds: 15, maxSeconds: 300, qps: 1 };

describe('AdaptivePlan', () => {
  it('gives equal rooms equal intervals (R/q) until their polls tell them apart', () => {
    const plan = new AdaptivePlan<string>();
    for (let i = 0; i < 100; i++) plan.add(`r${i}`);
    expect(plan.intervalOf('r0', 0, bounds)).toBeCloseTo(100, 6);
    expect(plan.intervalOf('r99', 0, bounds)).toBeCloseTo(100, 6);
  });

  it('treats the first poll as the baseline: its changes say nothing about the rate', () => {
    const plan = new AdaptivePlan<string>();
    for (let i = 0; i < 100; i++) plan.add(`r${i}`);
    plan.polled('r0', 50, 0, bounds);
    expect(plan.rateOf('r0')).toBe(0);
  });

  it('polls a room that changes more often more often, within the bounds', () => {
    const plan = new AdaptivePlan<string>();
    const rooms = Array.from({ length: 100 }, (_, i) => `r${i}`);
    for (const r of rooms) plan.add(r);
    let t = 0;
    for (const r of rooms) plan.polled(r, 0, t, bounds);
    for (let round = 1; round <= 10; round++) {
      t = round * 100_000;
      for (const r of rooms) plan.polled(r, r === 'r0' ? 10 : 0, t, bounds);
    }
    const busy = plan.intervalOf('r0', t + 2000, bounds);
    const idle = plan.intervalOf('r1', t + 2000, bounds);
    expect(busy).toBeLessThan(idle / 3);
    expect(busy).toBeGreaterThanOrEqual(15);
    expect(idle).toBeLessThanOrEqual(300);
    const total = rooms.reduce((s, r) => s + 1 / plan.intervalOf(r, t + 2000, bounds), 0);
    expect(total).toBeLessThanOrEqual(1 + 1e-9);
  });

  it('in uniform mode (round-robin under the heap) every room gets R/q whatever it found', () => {
    const plan = new AdaptivePlan<string>(true);
    for (let i = 0; i < 100; i++) plan.add(`r${i}`);
    plan.polled('r0', 0, 0, bounds);
    expect(plan.polled('r0', 99, 100_000, bounds)).toBeCloseTo(100, 6);
  });
});

describe('accountBounds', () => {
  it('defaults the bound to 3 × rooms / qps, aims 10 % inside it, and never goes below the period or the sweep', () => {
    expect(accountBounds({ strategy: 'adaptive' }, 15, 35, 2000)).toEqual({ minSeconds: 15, qps: 35, lateAfterSeconds: 3 * (2000 / 35), maxSeconds: 3 * (2000 / 35) * BOUND_MARGIN });
    // Few rooms: the bound is at least the period.
    expect(accountBounds({ strategy: 'adaptive' }, 15, 35, 10)).toMatchObject({ lateAfterSeconds: 15, maxSeconds: 15 });
    // A configured bound below rooms / qps cannot be kept by any order: raised to it.
    expect(accountBounds({ strategy: 'adaptive', maxIntervalSeconds: 20 }, 15, 35, 2000)).toMatchObject({ lateAfterSeconds: 2000 / 35, maxSeconds: 2000 / 35 });
    expect(accountBounds({ strategy: 'adaptive', maxIntervalSeconds: 600 }, 15, 35, 2000)).toMatchObject({ lateAfterSeconds: 600, maxSeconds: 540 });
  });
});
