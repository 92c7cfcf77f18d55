import { estimateOf, HALF_LIFE_SECONDS, meanRateOf, NO_HISTORY, observe, poissonUpperTail, PRIOR_CHANGES, RESTART_PRIORS } from '../../src/scheduler/change-rate';

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
  it('only raises an estimate: a room busier than the mean is estimated from its history alone', () => {
    const busy = { changes: 5, seconds: 20 };
    expect(estimateOf(busy, 0.01)).toBe(0.25);
    const quiet = { changes: 0, seconds: 20 };
    expect(estimateOf(quiet, 0.01)).toBeCloseTo(1 / 120, 12);
  });
});
