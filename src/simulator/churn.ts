/**
 * Churn rates of a simulated room and how a partial update combines with the defaults.
 * Rates are per room; events form a Poisson process, so they land at random times at the given mean.
 */

export interface ChurnRates {
  joinsPerMinute: number;
  leavesPerMinute: number;
  visibilityChangesPerMinute: number;
  /** Share of joins that arrive invisible, in [0, 1]. */
  invisibleJoinRatio: number;
  /** Chance that an existing room closes (dropping its members) within a minute, in [0, 1). */
  closeProbabilityPerMinute: number;
  /** Chance that a closed room reopens (empty) within a minute, in [0, 1). */
  reopenProbabilityPerMinute: number;
  /** While paused the room keeps its members; time passes without events. */
  paused: boolean;
}

export type ChurnSpec = Partial<ChurnRates>;

/** A static world unless churn is asked for: tests and benchmarks should not move by surprise. */
export const NO_CHURN: Readonly<ChurnRates> = Object.freeze({
  joinsPerMinute: 0,
  leavesPerMinute: 0,
  visibilityChangesPerMinute: 0,
  invisibleJoinRatio: 0.1,
  closeProbabilityPerMinute: 0,
  reopenProbabilityPerMinute: 0,
  paused: false,
});

const MS_PER_MINUTE = 60_000;

function check(name: string, value: number, max: number, maxInclusive: boolean): void {
  const ok = Number.isFinite(value) && value >= 0 && (maxInclusive ? value <= max : value < max);
  if (!ok) throw new RangeError(`churn.${name}: must be a number in [0, ${max}${maxInclusive ? ']' : ')'}`);
}

/** `base` with the fields of `update` laid over it; throws RangeError naming a bad field. */
export function mergeChurn(base: Readonly<ChurnRates>, update: ChurnSpec): ChurnRates {
  const out: ChurnRates = { ...base };
  for (const [key, value] of Object.entries(update) as [keyof ChurnRates, unknown][]) {
    if (value === undefined) continue;
    if (!(key in NO_CHURN)) throw new RangeError(`churn.${key}: unknown key`);
    if (key === 'paused') {
      if (typeof value !== 'boolean') throw new RangeError('churn.paused: must be a boolean');
      out.paused = value;
      continue;
    }
    if (typeof value !== 'number') throw new RangeError(`churn.${key}: must be a number`);
    if (key === 'invisibleJoinRatio') check(key, value, 1, true);
    else if (key.endsWith('ProbabilityPerMinute')) check(key, value, 1, false);
    else check(key, value, Infinity, false);
    out[key] = value;
  }
  return out;
}

export type ChurnEvent = 'join' | 'leave' | 'visibility' | 'close' | 'reopen';

export interface EventRates {
  /** Per millisecond, in a fixed order so the RNG draws replay identically. */
  events: readonly [ChurnEvent, number][];
  total: number;
}

/** A per-minute probability p as a Poisson rate: P(no event in a minute) = e^(-rate) = 1 - p. */
function probabilityToRatePerMs(p: number): number {
  return -Math.log(1 - p) / MS_PER_MINUTE;
}

export function eventRates(churn: Readonly<ChurnRates>, exists: boolean): EventRates {
  if (churn.paused) return { events: [], total: 0 };
  const events: [ChurnEvent, number][] = exists
    ? [
        ['join', churn.joinsPerMinute / MS_PER_MINUTE],
        ['leave', churn.leavesPerMinute / MS_PER_MINUTE],
        ['visibility', churn.visibilityChangesPerMinute / MS_PER_MINUTE],
        ['close', probabilityToRatePerMs(churn.closeProbabilityPerMinute)],
      ]
    : [['reopen', probabilityToRatePerMs(churn.reopenProbabilityPerMinute)]];
  const live = events.filter(([, rate]) => rate > 0);
  return { events: live, total: live.reduce((sum, [, rate]) => sum + rate, 0) };
}
