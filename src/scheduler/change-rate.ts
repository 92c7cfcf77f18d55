/**
 * A room's rate of change, estimated from what its polls find. Pure: (estimate, observation) → estimate.
 *
 * The estimate is a ratio of two exponentially decaying sums, changes seen and seconds watched, so an old
 * observation weighs less the longer ago it was (half-life HALF_LIFE_SECONDS of elapsed time, not of polls:
 * a room polled often and one polled rarely forget at the same pace). What makes it fit a scheduler:
 *
 * - A prior at the population's mean rate λ̄ worth α changes (α changes in α/λ̄ seconds, the Gamma prior of a
 *   Poisson rate with mean λ̄). A room with no history is estimated at the mean, so it is polled like an
 *   average room, not starved; a busy room's quiet poll moves the ratio only by its share of the decayed
 *   history, so one quiet poll does not write it off; a room that never changes sinks towards "α changes in
 *   all the time watched". Counted in changes, not seconds, the prior means the same at any rate scale.
 * - α itself is estimated from all the rooms (empirical Bayes, priorChangesOf): how far the rooms' observed
 *   rates spread beyond what Poisson noise alone would give. Rooms that churn alike get a heavy prior, so
 *   the noise of a few polls does not turn into unequal intervals (which cost delay: a change waits
 *   E[T²]/2E[T], more than T̄/2 when the T differ); rooms that really differ get a light one, and separate
 *   from their first polls.
 * - The prior never holds back a room whose history is significantly above the mean (Poisson upper tail
 *   below SIGNIFICANT_P): such a room is estimated from its history alone. A room that just turned busy
 *   (see the restart below) has little history, and a heavy prior would otherwise pull it back.
 * - A restart on surprise: when a poll (or a poll and the one before it, together) finds more changes than
 *   the estimate makes plausible (Poisson upper tail below SURPRISE_P), the history is replaced by it, weighted as RESTART_PRIORS priors' worth of
 *   watching at the rate it saw over the second half of its span (the new behaviour began within it). A room that turns busy after a long idle spell is then treated as busy from
 *   its first busy poll, instead of after a half-life of evidence. The other direction (busy → idle) is left
 *   to the decay: polling a room more often than needed for a while costs budget, never correctness.
 */

export const HALF_LIFE_SECONDS = 600;
/** The prior's weight in changes (its weight in seconds is this over the mean rate) until the rooms say more. */
export const PRIOR_CHANGES = 1;
/**
 * The bounds of the estimated weight. At least one change: a population of a few busy and many quiet rooms
 * spreads wide, which asks for a light prior, but within each group the rooms are alike, and the quiet
 * ones' noise (a poll or two that found nothing) is what a light prior would turn into over-long
 * intervals (in the model, a floor of a quarter of a change made the quiet rooms' p99 133 s instead of
 * 104 s and the mean delay worse). At most so many that it is "every room at the mean" for any history a
 * half-life holds at a sane rate.
 */
export const MIN_PRIOR_CHANGES = 1;
export const MAX_PRIOR_CHANGES = 1000;
export const SURPRISE_P = 1e-3;
/** A history this unlikely at the mean rate is the room's own, and the prior does not hold it back. */
export const SIGNIFICANT_P = 1e-3;
/** A restarted history weighs at least this many priors (or the surprising poll's own span, if longer). */
export const RESTART_PRIORS = 4;

export interface ChangeRate {
  /** Decayed count of changes seen. */
  readonly changes: number;
  /** Decayed seconds of watching (the elapsed time the polls covered). */
  readonly seconds: number;
  /** The last poll: its changes, its span and the count the estimate expected of it (the two-poll surprise). */
  readonly last?: { readonly changes: number; readonly seconds: number; readonly expected: number };
}

export const NO_HISTORY: ChangeRate = Object.freeze({ changes: 0, seconds: 0 });

/** The estimate after a poll that found `changes` changes over `elapsedSeconds` since the previous poll. */
export function observe(prev: ChangeRate, changes: number, elapsedSeconds: number, meanRate: number, priorChanges = PRIOR_CHANGES): ChangeRate {
  const dt = Math.max(0, elapsedSeconds);
  const expected = estimateOf(prev, meanRate, priorChanges) * dt;
  const last = { changes, seconds: dt, expected };
  if (changes > 0 && dt > 0) {
    if (poissonUpperTail(changes, expected) < SURPRISE_P) return restart(changes, dt, meanRate);
    // The same test over this poll and the one before: a room that turned busy just before a poll shows
    // only a few changes at it, and the next poll may fall just short of the test alone.
    const p = prev.last;
    if (p && poissonUpperTail(changes + p.changes, expected + p.expected) < SURPRISE_P) return restart(changes + p.changes, dt + p.seconds, meanRate);
  }
  const keep = 2 ** (-dt / HALF_LIFE_SECONDS);
  return { changes: prev.changes * keep + changes, seconds: prev.seconds * keep + dt, last };
}

/**
 * A history replaced by `changes` seen over the last `span` seconds (see the module comment). It keeps no
 * last poll: that poll's evidence is the new history, and counted again in the next poll's pair test it
 * would restart the room a second time at a lower rate.
 */
function restart(changes: number, span: number, meanRate: number): ChangeRate {
  // At most a half-life of weight: a restart at a tiny mean must not outweigh the next hour's polls.
  const seconds = meanRate > 0 ? Math.max(span, Math.min((RESTART_PRIORS * PRIOR_CHANGES) / meanRate, HALF_LIFE_SECONDS)) : span;
  // The change of behaviour began somewhere within the span, halfway on average: the rate seen is over
  // half the span. Too high when the room was busy all along, which costs a little budget until the next
  // polls correct it; too low would leave a room that turned busy waiting longer.
  return { changes: (changes / (span / 2)) * seconds, seconds };
}

/**
 * Changes per second: the decayed history with the prior (α = `priorChanges` changes in α / λ̄ seconds), or
 * the history alone when it is significantly above the mean (see the module comment). With no change seen
 * anywhere yet (λ̄ = 0) there is no prior, and a room without history counts as 0.
 */
export function estimateOf(rate: ChangeRate, meanRate: number, priorChanges = PRIOR_CHANGES): number {
  if (meanRate <= 0) return rate.seconds > 0 ? rate.changes / rate.seconds : 0;
  if (rate.seconds > 0 && significantlyAbove(rate.changes, meanRate * rate.seconds)) return rate.changes / rate.seconds;
  return (rate.changes + priorChanges) / (rate.seconds + priorChanges / meanRate);
}

/** Whether `changes` is implausibly many for a Poisson count with mean `expected`. */
function significantlyAbove(changes: number, expected: number): boolean {
  if (changes <= expected) return false;
  // The direct sum underflows (e^-mean) for large means; there the normal approximation is close
  // (z = 3.09 is the same 1e-3 upper tail).
  if (expected > 500) return (changes - expected) / Math.sqrt(expected) > 3.09;
  return poissonUpperTail(Math.ceil(changes), expected) < SIGNIFICANT_P;
}

/**
 * The prior's weight α in changes, from the rooms' histories (empirical Bayes, method of moments for a
 * Gamma-Poisson population with mean `meanRate`): a room watched sᵢ seconds shows cᵢ changes, and
 * Σ (cᵢ − λ̄sᵢ)² / sᵢ ≈ (N − 1) λ̄ + v (S − Σsᵢ² / S), where v is the variance of the true rates across the
 * rooms and S = Σsᵢ. Then α = λ̄² / v (a Gamma's shape). No spread beyond the noise gives the most weight,
 * a large spread the least. Decayed counts vary a little less than Poisson ones, which makes v̂ slightly
 * low and the prior slightly heavy: the safe side for equal rooms; rooms that really differ are far off.
 * PRIOR_CHANGES until two rooms have been watched and a change seen.
 */
export function priorChangesOf(rates: Iterable<ChangeRate>, meanRate: number): number {
  if (meanRate <= 0) return PRIOR_CHANGES;
  let n = 0;
  let sum = 0;
  let sumSq = 0;
  let spread = 0;
  for (const r of rates) {
    if (r.seconds <= 0) continue;
    n++;
    sum += r.seconds;
    sumSq += r.seconds * r.seconds;
    const d = r.changes - meanRate * r.seconds;
    spread += (d * d) / r.seconds;
  }
  if (n < 2) return PRIOR_CHANGES;
  const v = (spread - (n - 1) * meanRate) / (sum - sumSq / sum);
  if (!(v > 0)) return MAX_PRIOR_CHANGES;
  return Math.min(MAX_PRIOR_CHANGES, Math.max(MIN_PRIOR_CHANGES, (meanRate * meanRate) / v));
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
