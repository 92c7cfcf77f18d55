/**
 * The square-root rule, pure. A room whose changes come at rate λ and that is polled every T seconds
 * reports a change T/2 late on average; with the budget fixed (Σ 1/Tᵢ = q), the total delay Σ λᵢTᵢ/2 is
 * least when Tᵢ ∝ 1/√λᵢ (Lagrange). Each Tᵢ is clamped to [period, max]: never more often than the
 * schedule, never less often than the bound that keeps every room's gauges within a known age.
 */

export interface IntervalBounds {
  /** The schedule period: no room is polled more often. */
  minSeconds: number;
  /** polling.maxIntervalSeconds: no room waits longer (if the budget allows it). */
  maxSeconds: number;
  /** Requests per second the rooms may share. */
  qps: number;
}

/** Rates at or below this count as this: a room that never changed still has a finite interval. */
const RATE_FLOOR = 1e-9;
const ITERATIONS = 100;

/** The interval of a room with rate `rate` under `scale` (T = scale / √λ, clamped). */
export function intervalFor(rate: number, scale: number, bounds: IntervalBounds): number {
  return clamp(scale / Math.sqrt(Math.max(rate, RATE_FLOOR)), bounds.minSeconds, bounds.maxSeconds);
}

/**
 * The scale k such that the intervals k/√λᵢ, clamped, use the budget: Σ 1/Tᵢ ≤ q, as close to q as a
 * bisection gets. When every room fits at the period (R/q ≤ period) every room gets the period (k = 0,
 * i.e. all clamped to the minimum), which is today's behaviour; when even the bound does not fit
 * (R / max > q) every room gets the bound and the schedule runs late, as round-robin would.
 */
export function solveScale(rates: readonly number[], bounds: IntervalBounds): number {
  const { minSeconds: lo, maxSeconds: hi, qps } = bounds;
  if (rates.length === 0 || rates.length / lo <= qps) return 0;
  let minW = Infinity;
  let maxW = 0;
  for (const r of rates) {
    const w = Math.sqrt(Math.max(r, RATE_FLOOR));
    if (w < minW) minW = w;
    if (w > maxW) maxW = w;
  }
  // Below kLo every interval is at the minimum; above kHi every interval is at the maximum.
  let kLo = lo * minW;
  let kHi = hi * maxW;
  if (load(rates, kHi, bounds) > qps) return kHi;
  // Σ 1/T falls as k grows; keep kHi on the side that fits the budget. Bisection on the ratio, since the
  // scale spans orders of magnitude (rates from 1e-9 to several per second).
  for (let i = 0; i < ITERATIONS && kHi / kLo > 1 + 1e-12; i++) {
    const mid = Math.sqrt(kLo * kHi);
    if (load(rates, mid, bounds) > qps) kLo = mid;
    else kHi = mid;
  }
  return kHi;
}

/** Σ 1/Tᵢ under scale k: requests per second the rooms would ask for. */
export function load(rates: readonly number[], scale: number, bounds: IntervalBounds): number {
  let sum = 0;
  for (const r of rates) sum += 1 / intervalFor(r, scale, bounds);
  return sum;
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}
