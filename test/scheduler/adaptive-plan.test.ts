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

describe('AdaptivePlan after one noisy sweep', () => {
  const b = { minSeconds: 15, maxSeconds: 154, qps: 35 };
  /** 2,000 rooms, baseline at 0, then one poll each 57 s later finding a Poisson count at the room's rate. */
  function sweep(rate: (i: number) => number, seed: number): { plan: AdaptivePlan<number>; t: number } {
    let state = seed;
    // A small LCG for the counts: the test needs reproducible noise, not good noise.
    const next = (): number => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const poisson = (mean: number): number => {
      let k = 0;
      for (let p = next(), limit = Math.exp(-mean); p > limit; p *= next()) k++;
      return k;
    };
    const plan = new AdaptivePlan<number>();
    for (let i = 0; i < 2000; i++) plan.add(i);
    for (let i = 0; i < 2000; i++) plan.polled(i, 0, i * 28.6, b);
    for (let i = 0; i < 2000; i++) plan.polled(i, poisson(rate(i) * 57.1), 57_143 + i * 28.6, b);
    return { plan, t: 120_000 };
  }

  it('keeps rooms that churn alike at near-equal intervals (estimate noise is not mistaken for a difference)', () => {
    for (const seed of [1, 42]) {
      const { plan, t } = sweep(() => 0.043, seed);
      const T = Array.from({ length: 2000 }, (_, i) => plan.intervalOf(i, t, b));
      const mean = T.reduce((s, x) => s + x, 0) / T.length;
      const meanSq = T.reduce((s, x) => s + x * x, 0) / T.length;
      // A change waits E[T²] / 2E[T] on average: unequal intervals cost E[T²] / E[T]² - 1 of it.
      expect(meanSq / mean ** 2 - 1).toBeLessThan(0.01);
    }
  });

  it('separates rooms that churn apart from the first sweep (a tenth carry nine tenths)', () => {
    const { plan, t } = sweep((i) => (i < 200 ? 0.36 : 0.0044), 3);
    const busy = Array.from({ length: 200 }, (_, i) => plan.intervalOf(i, t, b));
    const idle = Array.from({ length: 1800 }, (_, i) => plan.intervalOf(200 + i, t, b));
    // Nine in ten busy rooms near the period already (the rest saw fewer changes by chance), where
    // round-robin would give every room 57 s.
    expect([...busy].sort((x, y) => x - y)[180]!).toBeLessThanOrEqual(20);
    const sortedIdle = [...idle].sort((x, y) => x - y);
    expect(sortedIdle[900]!).toBeGreaterThan(60);
  });
});
