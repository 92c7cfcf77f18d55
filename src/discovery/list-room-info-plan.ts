/**
 * Which creation-time ranges a ListRoomInfo pass asks for. Pure.
 *
 * The vendor answers at most 24 h per query (a longer range is silently cut), keeps 14 days, and sends
 * times in whole seconds. The first pass covers the whole look-back in slices; later passes ask only for
 * calls created since the previous pass, reaching back `overlapMs` because a new call shows up in the list
 * only after the vendor's data delay (~20 s).
 */

export interface TimeRange {
  startMs: number;
  endMs: number;
}

export const HOUR_MS = 3_600_000;
/** Slices stay a little under 24 h: the query's end is rounded up to a whole second. */
export const MAX_SLICE_MS = 24 * HOUR_MS - 2000;
export const MAX_LOOKBACK_MS = 14 * 24 * HOUR_MS;
/** Keep the oldest start this far inside the 14 days, so it is still inside when the request arrives. */
export const LOOKBACK_MARGIN_MS = 60_000;
/** Narrower ranges cannot be split: the query has one-second resolution. */
export const MIN_SPLIT_MS = 2000;

/** Cut [start, end] into consecutive slices of at most MAX_SLICE_MS, oldest first. */
export function slices(range: TimeRange, maxMs = MAX_SLICE_MS): TimeRange[] {
  const out: TimeRange[] = [];
  for (let s = range.startMs; s < range.endMs; s += maxMs) out.push({ startMs: s, endMs: Math.min(range.endMs, s + maxMs) });
  return out;
}

/** The oldest creation time a pass at `nowMs` may ask for. */
export function oldestStart(nowMs: number, lookbackMs: number): number {
  return nowMs - Math.min(lookbackMs, MAX_LOOKBACK_MS - LOOKBACK_MARGIN_MS);
}

/**
 * The ranges of a pass at `nowMs`. Without a previous pass: the whole look-back. Otherwise from the end
 * the previous pass covered, minus the overlap (never older than the look-back: a daemon that was paused
 * for days does not ask for what the vendor no longer has).
 */
export function passRanges(nowMs: number, lookbackMs: number, overlapMs: number, coveredUntilMs?: number): TimeRange[] {
  const oldest = oldestStart(nowMs, lookbackMs);
  const start = coveredUntilMs === undefined ? oldest : Math.max(oldest, coveredUntilMs - overlapMs);
  if (start >= nowMs) return [];
  return slices({ startMs: start, endMs: nowMs });
}

/**
 * Halves of a range that holds more calls than paging can return, split on a whole second; undefined when
 * the range is too narrow to split.
 */
export function splitRange(range: TimeRange): [TimeRange, TimeRange] | undefined {
  if (range.endMs - range.startMs < MIN_SPLIT_MS) return undefined;
  const mid = Math.floor((range.startMs + range.endMs) / 2000) * 1000;
  if (mid <= range.startMs || mid >= range.endMs) return undefined;
  return [
    { startMs: range.startMs, endMs: mid },
    { startMs: mid, endMs: range.endMs },
  ];
}
