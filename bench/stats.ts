/**
 * The arithmetic the scenarios share. Pure: numbers in, numbers out.
 */

/** Nearest-rank percentile (p in [0, 100]) of an unsorted list; NaN for an empty list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/**
 * The most times that fall in any window (t - windowMs, t], the same half-open window the vendor and the
 * simulator count. The busiest window always ends at one of the times, so checking each is exact.
 */
export function maxInWindow(times: readonly number[], windowMs = 1000): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let tail = 0;
  for (let head = 0; head < sorted.length; head++) {
    while (sorted[tail]! <= sorted[head]! - windowMs) tail++;
    best = Math.max(best, head - tail + 1);
  }
  return best;
}

/** Gaps between consecutive times (sorted first). */
export function intervals(times: readonly number[]): number[] {
  const sorted = [...times].sort((a, b) => a - b);
  const out: number[] = [];
  for (let i = 1; i < sorted.length; i++) out.push(sorted[i]! - sorted[i - 1]!);
  return out;
}

/** Least-squares slope of y over x; NaN with fewer than two distinct x. */
export function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = Math.min(xs.length, ys.length);
  if (n < 2) return NaN;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += xs[i]!;
    my += ys[i]!;
  }
  mx /= n;
  my /= n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? NaN : num / den;
}
