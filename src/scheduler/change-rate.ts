/**
 * A room's rate of change, estimated from what its polls find. Pure: (estimate, observation) → estimate.
 *
 * The estimate is a ratio of two exponentially decaying sums, changes seen and seconds watched, so an old
 * observation weighs less the longer ago it was (half-life HALF_LIFE_SECONDS of elapsed time, not of polls:
 * a room polled often and one polled rarely forget at the same pace). Two additions make it fit a scheduler:
 *
 * - A prior worth one change at the population's mean rate λ̄ (one change in 1/λ̄ seconds, the Gamma prior
 *   of a Poisson rate with mean λ̄), which only ever raises an estimate. A room with no history is estimated
 *   at the mean, so it is polled like an average room, not starved; a busy room's quiet poll moves the ratio only by its share of the decayed
 *   history, so one quiet poll does not write it off; a room that never changes sinks towards "one change
 *   in all the time watched". Counted in changes, not seconds, the prior means the same at any rate scale.
 * - A restart on surprise: when a poll finds more changes than the estimate makes plausible (Poisson upper
 *   tail below SURPRISE_P), the history is replaced by that poll, weighted as RESTART_PRIORS priors' worth of
 *   watching at the rate it saw over the second half of its span (the new behaviour began within it). A room that turns busy after a long idle spell is then treated as busy from
 *   its first busy poll, instead of after a half-life of evidence. The other direction (busy → idle) is left
 *   to the decay: polling a room more often than needed for a while costs budget, never correctness.
 */

export const HALF_LIFE_SECONDS = 600;
/** The prior's weight in changes (its weight in seconds is this over the mean rate). */
export const PRIOR_CHANGES = 1;
export const SURPRISE_P = 1e-3;
/** A restarted history weighs at least this many priors (or the surprising poll's own span, if longer). */
export const RESTART_PRIORS = 4;

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
  if (changes > 0 && dt > 0 && poissonUpperTail(changes, expected) < SURPRISE_P) {
    // At most a half-life of weight: a restart at a tiny mean must not outweigh the next hour's polls.
    const seconds = meanRate > 0 ? Math.max(dt, Math.min((RESTART_PRIORS * PRIOR_CHANGES) / meanRate, HALF_LIFE_SECONDS)) : dt;
    // The change of behaviour began somewhere within the poll's span, halfway on average: the rate it saw
    // is over half the span. Too high when the room was busy all along, which costs a little budget until
    // the next polls correct it; too low would leave a room that turned busy waiting longer.
    return { changes: (changes / (dt / 2)) * seconds, seconds };
  }
  const keep = 2 ** (-dt / HALF_LIFE_SECONDS);
  return { changes: prev.changes * keep + changes, seconds: prev.seconds * keep + dt };
}

/**
 * Changes per second: the decayed history plus the prior (PRIOR_CHANGES in PRIOR_CHANGES / λ̄ seconds), or
 * the history alone when that says more. The prior only ever raises an estimate: it keeps a quiet or new
 * room from being starved, but must not hold a room that is busier than the mean back towards the mean
 * (a room that just restarted has little history, and the prior would otherwise weigh as much as it).
 * With no change seen anywhere yet (λ̄ = 0) there is no prior, and a room without history counts as 0.
 */
export function estimateOf(rate: ChangeRate, meanRate: number): number {
  if (meanRate <= 0) return rate.seconds > 0 ? rate.changes / rate.seconds : 0;
  const posterior = (rate.changes + PRIOR_CHANGES) / (rate.seconds + PRIOR_CHANGES / meanRate);
  return rate.seconds > 0 ? Math.max(posterior, rate.changes / rate.seconds) : posterior;
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
