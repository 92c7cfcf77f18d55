/** Most instants in any half-open window [t, t + windowLength), e.g. starts in any rolling second (ms). */
export function maxInAnyWindow(times: readonly number[], windowLength = 1000): number {
  const s = [...times].sort((a, b) => a - b);
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < s.length; hi++) {
    while (s[hi]! - s[lo]! >= windowLength) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}
