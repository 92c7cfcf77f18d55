import { DueQueue } from './due-queue';

/**
 * The rooms of one lane in the order the pump polls them, and which of them may go now. Pure apart from
 * the times it is told.
 *
 * Two heaps: `ready` holds the rooms that may be polled now, ordered by (urgent, due time); `held` holds
 * the rooms polled within the schedule period, ordered by the time they may go again (a room is never
 * polled twice within the period), and each moves to `ready` when that time passes. The pump takes the
 * first ready room whenever it holds a permit, due or not:
 *
 * - Urgent and due rooms come first, in due order.
 * - When nothing is due, the first ready room goes early. That keeps the limiter busy (work-conserving,
 *   as back-to-back cycles are): a permit left unused is lost for good and stretches every interval. The
 *   rooms whose interval is the period cannot go early; they sit in `held` until they are due, so they
 *   never stand in front of the rooms that can. (The previous pick looked at the first few rooms in due
 *   order only; at a 15 s schedule the busy rooms, all at the period, filled those places and the pump
 *   napped with budget left: 31.5 of 35 requests a second in the real-time bench.)
 * - When the budget is not saturated every interval is the period, every ready room is due, and nothing
 *   goes early: every room is polled once per period, as the cycles do.
 */
export class PollQueue<K> {
  private readonly ready = new DueQueue<K>();
  /** Keyed by the time each room may go again; `heldDue` keeps its due time meanwhile. */
  private readonly held = new DueQueue<K>();
  private readonly heldDue = new Map<K, number>();

  get size(): number {
    return this.ready.size + this.held.size;
  }

  has(key: K): boolean {
    return this.ready.has(key) || this.held.has(key);
  }

  dueOf(key: K): number | undefined {
    return this.ready.dueOf(key) ?? this.heldDue.get(key);
  }

  *keys(): IterableIterator<K> {
    yield* this.ready.keys();
    yield* this.held.keys();
  }

  /**
   * Queue the key due at `dueMs`, or move it there. It may not go before `notBeforeMs` (its last poll's
   * start plus the period) unless `urgent`: a new room's baseline or a change reported from outside goes
   * ahead of everything, at once.
   */
  set(key: K, dueMs: number, urgent = false, notBeforeMs = -Infinity): void {
    this.delete(key);
    if (urgent || notBeforeMs === -Infinity) {
      this.ready.set(key, dueMs, urgent);
      return;
    }
    this.held.set(key, notBeforeMs);
    this.heldDue.set(key, dueMs);
  }

  delete(key: K): void {
    this.ready.delete(key);
    if (this.held.delete(key)) this.heldDue.delete(key);
  }

  /**
   * The room to poll at `now` (removed from the queue with `take`), or none and `atMs`, when the first
   * held room may go (Infinity for an empty queue).
   */
  next(now: number, take: boolean): { key?: K; atMs: number } {
    this.release(now);
    const top = this.ready.peek();
    if (top) {
      if (take) this.ready.pop();
      return { key: top.key, atMs: now };
    }
    return { atMs: this.held.peek()?.dueMs ?? Infinity };
  }

  /** Move every held room whose time has come to `ready`. */
  private release(now: number): void {
    for (let h = this.held.peek(); h && h.dueMs <= now; h = this.held.peek()) {
      this.held.pop();
      const dueMs = this.heldDue.get(h.key)!;
      this.heldDue.delete(h.key);
      this.ready.set(h.key, dueMs);
    }
  }
}
