import type { DueQueue } from './due-queue';

/** Rooms looked at past the first for one that may be polled early (the first few may be inside their period). */
export const SCAN = 8;

/**
 * The room the pump polls next, pure (time passed in): the first of the first SCAN rooms in queue order
 * that may be polled at `now`. Urgent and due rooms come first in that order; when nothing is due, a room
 * goes early: early polls keep the limiter busy (work-conserving, as back-to-back cycles are), every room's
 * next poll comes forward by about the same time, so the ratios of the intervals stay, and no permit is
 * lost, which would otherwise stretch every interval by the same few seconds, the short ones most. A room
 * is never polled within the period of its last poll start (`lastStart`). With `take` the room is removed
 * from the queue; if none may go, `atMs` says when the first of those looked at could.
 */
export function pickNext<K>(queue: DueQueue<K>, lastStart: ReadonlyMap<K, number>, now: number, periodMs: number, take: boolean): { key?: K; atMs: number } {
  const allowedAt = (e: { key: K; urgent: boolean }): number => {
    const last = lastStart.get(e.key);
    return e.urgent || last === undefined ? now : Math.max(now, last + periodMs);
  };
  // The usual case first, without disturbing the queue: the first room may go.
  const top = queue.peek();
  if (!top) return { atMs: Infinity };
  if (allowedAt(top) <= now) {
    if (take) queue.pop();
    return { key: top.key, atMs: now };
  }
  const skipped: { key: K; dueMs: number; urgent: boolean }[] = [];
  let found: { key: K; dueMs: number; urgent: boolean } | undefined;
  let atMs = Infinity;
  for (let i = 0; i < SCAN; i++) {
    const e = queue.popEntry();
    if (!e) break;
    const allowed = allowedAt(e);
    if (allowed <= now) {
      found = e;
      break;
    }
    skipped.push(e);
    atMs = Math.min(atMs, allowed);
  }
  for (const e of skipped) queue.set(e.key, e.dueMs, e.urgent);
  if (found && !take) queue.set(found.key, found.dueMs, found.urgent);
  return found ? { key: found.key, atMs: now } : { atMs };
}
