import { ChangeRate, estimateOf, HALF_LIFE_SECONDS, MAX_PRIOR_CHANGES, meanRateOf, MIN_PRIOR_CHANGES, NO_HISTORY, observe, poissonUpperTail, PRIOR_CHANGES, priorChangesOf, RESTART_PRIORS } from '../../src/scheduler/change-rate';
import { createRng, Rng } from '../../src/simulator/rng';

/** A Poisson count with the given mean (Knuth's product of uniforms; the means here are small). */
function poisson(rng: Rng, mean: number): number {
  const limit = Math.exp(-mean);
  let k = 0;
  for (let p = rng.next(); p > limit; p *= rng.next()) k++;
  return k;
}

/** Rooms watched `seconds` each with the true rates given, their changes drawn. */
function watched(rates: readonly number[], seconds: number, seed: number): ChangeRate[] {
  const rng = createRng(seed);
  return rates.map((r) => ({ changes: poisson(rng, r * seconds), seconds }));
}

describe('change-rate estimator', () => {
  it('estimates a room with no history at the population mean (a new room is polled like an average one)', () => {
    expect(estimateOf(NO_HISTORY, 0.02)).toBeCloseTo(0.02, 12);
    expect(estimateOf(NO_HISTORY, 0)).toBe(0);
  });

  it('converges to the observed rate of a steady room', () => {
    let r = NO_HISTORY;
    for (let i = 0; i < 200; i++) r = observe(r, 1, 10, 0.01); // one change every 10 s
    expect(estimateOf(r, 0.01)).toBeCloseTo(0.1, 9); // busier than the mean: the history alone
  });

  it('lets a room that never changes sink towards one change in all the time watched, whatever the mean', () => {
    for (const mean of [0.001, 0.01, 1]) {
      let r = NO_HISTORY;
      for (let i = 0; i < 100; i++) r = observe(r, 0, 60, mean);
      expect(estimateOf(r, mean)).toBeLessThan(PRIOR_CHANGES / r.seconds);
      expect(estimateOf(r, mean)).toBeLessThan(mean);
    }
  });

  it('does not write a busy room off after one quiet poll', () => {
    let r = NO_HISTORY;
    for (let i = 0; i < 100; i++) r = observe(r, 1, 10, 0.001);
    const before = estimateOf(r, 0.001);
    const after = estimateOf(observe(r, 0, 10, 0.001), 0.001);
    expect(after).toBeLessThan(before);
    expect(after / before).toBeGreaterThan(0.98);
  });

  it('forgets with a half-life of elapsed time', () => {
    const r = observe(observe(NO_HISTORY, 4, 100, 0.04), 0, HALF_LIFE_SECONDS, 0.04);
    expect(r.changes).toBeCloseTo(2, 9);
    expect(r.seconds).toBeCloseTo(100 / 2 + HALF_LIFE_SECONDS, 9);
  });

  it('restarts from a poll whose changes the history makes implausible (idle for 10 minutes, then busy)', () => {
    const mean = 0.01;
    let r = NO_HISTORY;
    for (let t = 0; t < 600; t += 100) r = observe(r, 0, 100, mean);
    expect(estimateOf(r, mean)).toBeLessThan(0.002);
    // Busy at 0.1 changes/s: the next 100 s poll finds ~10.
    const busy = observe(r, 10, 100, mean);
    expect(busy.seconds).toBeCloseTo(RESTART_PRIORS / mean, 9);
    // 10 changes in 100 s, taken as over the last 50 s (the onset was within the span, halfway on average).
    expect(busy.changes / busy.seconds).toBeCloseTo(0.2, 12);
    expect(estimateOf(busy, mean)).toBeGreaterThan(0.1);
    // The next poll, as busy, is no surprise: the history grows instead of restarting.
    expect(observe(busy, 2, 20, mean).seconds).toBeGreaterThan(busy.seconds);
  });

  it('restarts from two polls that together are implausible, when neither is alone (an onset just before a poll)', () => {
    // The model's case: a quiet room (one change in 15 minutes) turns busy 6 s before a poll, which finds
    // 2 changes; the next, 66 s later, finds 3. Neither alone is below SURPRISE_P; 5 in 181 s is.
    const mean = 0.01;
    let r = NO_HISTORY;
    for (let t = 0; t < 1800; t += 115) r = observe(r, 0, 115, mean);
    const first = observe(r, 2, 115, mean);
    expect(first.seconds).toBeGreaterThan(r.seconds); // no restart yet: the history grew
    const second = observe(first, 3, 66, mean);
    // Restarted: the rate the two polls saw over the second half of their span.
    expect(second.seconds).toBeCloseTo(RESTART_PRIORS / mean, 9);
    expect(second.changes / second.seconds).toBeCloseTo(5 / (181 / 2), 12);
    expect(estimateOf(second, mean)).toBeGreaterThan(0.05);
    // The restart's poll does not count again: the next ordinary busy poll keeps the new history.
    expect(observe(second, 4, 15, mean).seconds).toBeGreaterThan(second.seconds);
    // A plausible pair (a busy room's ordinary polls) keeps its history.
    let busy = NO_HISTORY;
    for (let i = 0; i < 50; i++) busy = observe(busy, 2, 20, mean);
    expect(observe(observe(busy, 3, 20, mean), 3, 20, mean).seconds).toBeGreaterThan(busy.seconds);
  });

  it('keeps the history for a change the estimate finds plausible', () => {
    let r = NO_HISTORY;
    for (let i = 0; i < 10; i++) r = observe(r, 1, 10, 0.1);
    const next = observe(r, 2, 10, 0.1);
    expect(next.seconds).toBeGreaterThan(100);
  });

  it('pools the mean over watched seconds', () => {
    expect(meanRateOf([{ changes: 10, seconds: 100 }, { changes: 0, seconds: 900 }])).toBeCloseTo(0.01, 12);
    expect(meanRateOf([])).toBe(0);
  });

  it('computes the Poisson upper tail', () => {
    expect(poissonUpperTail(1, 1)).toBeCloseTo(1 - Math.exp(-1), 12);
    expect(poissonUpperTail(3, 0.5)).toBeCloseTo(1 - Math.exp(-0.5) * (1 + 0.5 + 0.125), 12);
    expect(poissonUpperTail(1, 0)).toBe(0);
  });
});

describe('change-rate prior', () => {
  it('never holds back a room significantly busier than the mean: its history alone', () => {
    const busy = { changes: 5, seconds: 20 };
    expect(estimateOf(busy, 0.01)).toBe(0.25);
    // Whatever the prior's weight: an onset room must not be pulled back to the mean.
    expect(estimateOf(busy, 0.01, MAX_PRIOR_CHANGES)).toBe(0.25);
    const quiet = { changes: 0, seconds: 20 };
    expect(estimateOf(quiet, 0.01)).toBeCloseTo(1 / 120, 12);
  });

  it('shrinks a room whose history is within chance of the mean towards it, by the prior\'s weight', () => {
    // 4 changes in 57 s where the mean expects 2.45: plausible noise (P ≈ 0.23).
    const room = { changes: 4, seconds: 57 };
    const mean = 0.043;
    expect(estimateOf(room, mean, 1)).toBeCloseTo(5 / (57 + 1 / mean), 12);
    expect(estimateOf(room, mean, 100)).toBeCloseTo(104 / (57 + 100 / mean), 12);
    expect(Math.abs(estimateOf(room, mean, 100) / mean - 1)).toBeLessThan(0.02);
  });

  it('weighs the prior heavily when the rooms differ no more than chance (uniform churn)', () => {
    // 2,000 rooms alike, one poll each: counts differ by Poisson noise alone.
    for (const seed of [1, 2, 3]) {
      const rates = watched(new Array<number>(2000).fill(0.043), 57, seed);
      expect(priorChangesOf(rates, meanRateOf(rates))).toBeGreaterThanOrEqual(20);
    }
  });

  it('weighs the prior lightly when the rooms differ for real (a tenth carry nine tenths)', () => {
    const rates = watched(Array.from({ length: 2000 }, (_, i) => (i < 200 ? 0.36 : 0.0044)), 57, 4);
    expect(priorChangesOf(rates, meanRateOf(rates))).toBeLessThanOrEqual(1);
  });

  it('keeps the prior\'s weight within its bounds, and at the default without evidence', () => {
    expect(priorChangesOf([], 0)).toBe(PRIOR_CHANGES);
    expect(priorChangesOf([{ changes: 3, seconds: 10 }], 0.3)).toBe(PRIOR_CHANGES);
    expect(priorChangesOf([{ changes: 0, seconds: 10 }, { changes: 0, seconds: 10 }], 0)).toBe(PRIOR_CHANGES);
    // Identical rooms: no spread at all.
    const same = new Array<ChangeRate>(100).fill({ changes: 5, seconds: 100 });
    expect(priorChangesOf(same, 0.05)).toBe(MAX_PRIOR_CHANGES);
    // Wildly different rooms: one in ten at 10 changes a second, the rest never (α = 1² / 9 below the floor).
    const apart = Array.from({ length: 100 }, (_, i): ChangeRate => ({ changes: i % 10 ? 0 : 1000, seconds: 100 }));
    expect(priorChangesOf(apart, meanRateOf(apart))).toBe(MIN_PRIOR_CHANGES);
  });
});
