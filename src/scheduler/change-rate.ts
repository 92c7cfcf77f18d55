/**
 * A room's rate of change, estimated from what its polls find. Pure: (estimate, observation) → estimate.
 *
 * The estimate is a ratio of two exponentially decaying sums, changes seen and seconds watched, so an old
 * observation weighs less the longer ago it was (half-life HALF_LIFE_SECONDS of elapsed time, not of polls:
 * a room polled often and one polled rarely forget at the same pace). Two additions make it fit a scheduler:
 *
 * - A prior: PRIOR_SECONDS of watching at the population's mean rate is added to both sums. A room with no
 *   history is estimated at the mean (it is polled like an average room, not starved), and a busy room's
 *   quiet poll moves the ratio only by its share of the decayed history (one quiet poll does not write it off).
 *   The prior is kept short (45 s against a ~15 min memory) so that a restarted history (below) is not
 *   pulled back to the mean for long.
 * - A restart on surprise: when a poll finds more changes than the estimate makes plausible (Poisson upper
 *   tail below SURPRISE_P), the history is dropped and the estimate starts again from that poll. A room that
 *   turns busy after a long idle spell is then treated as busy from its first busy poll, instead of waiting
 *   for a half-life of evidence. The other direction (busy → idle) is left to the decay: polling a room more
 *   often than needed for a while costs budget, never correctness.
 */

export const HALF_LIFE_SECONDS = 600;
export const PRIOR_SECONDS = 45;
export const SURPRISE_P = 1e-3;

export interface ChangeRate {
  /** Decayed count of changes seen. */
  readonly changes: number;
  /** Decayed seconds of watching (the elapsed time the polls covered). */
  readonly seconds: number;
}

export const NO_HISTORY: ChangeRate = Object.freeze({ changes: 0, seconds: 0 });

/** The estimate after a poll that found `changes` changes over `elapsedSeconds` since the previous poll. */
export function observe(prev: ChangeRate, changes: number, elapsedSeconds: number, meanRate: number): ChangeRate {
  const dt = Math.max(0, elapsedSeconds);
  const expected = estimateOf(prev, meanRate) * dt;
  if (changes > 0 && poissonUpperTail(changes, expected) < SURPRISE_P) return { changes, seconds: dt };
  const keep = 2 ** (-dt / HALF_LIFE_SECONDS);
  return { changes: prev.changes * keep + changes, seconds: prev.seconds * keep + dt };
}

/** Changes per second: the decayed history plus the prior at the population mean. */
export function estimateOf(rate: ChangeRate, meanRate: number): number {
  const prior = Math.max(0, meanRate);
  return (rate.changes + prior * PRIOR_SECONDS) / (rate.seconds + PRIOR_SECONDS);
}

/**
 * The population's mean rate from every room's history (Σ changes / Σ seconds); 0 before anything was
 * watched. Pooled rather than averaged so a room watched for a second does not count as much as one
 * watched for an hour.
 */
export function meanRateOf(rates: Iterable<ChangeRate>): number {
  let changes = 0;
  let seconds = 0;
  for (const r of rates) {
    changes += r.changes;
    seconds += r.seconds;
  }
  return seconds > 0 ? changes / seconds : 0;
}

/** P(X ≥ k) for X ~ Poisson(mean), k ≥ 1; summed directly (k is a poll's change count, small). */
export function poissonUpperTail(k: number, mean: number): number {
  if (mean <= 0) return 0;
  // P(X < k) = Σ_{i<k} e^-m m^i / i!, accumulated term by term to stay finite for large means.
  let term = Math.exp(-mean);
  let below = 0;
  for (let i = 0; i < k; i++) {
    below += term;
    term *= mean / (i + 1);
  }
  return Math.max(0, 1 - below);
}
