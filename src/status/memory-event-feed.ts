import type { EventSink } from '../polling/room-poller';
import type { RoomEvent } from '../rooms/room-event';
import type { EventFeed, FeedEvent } from './event-feed';

/**
 * The newest committed events, kept in memory for the status page: an EventSink on the fan-out that
 * holds the last `capacity` events by their log ids (ids come from the durable store, so they survive a
 * restart), pre-filled from the log at start. The page reads it synchronously; the store's own read is
 * asynchronous, and a live feed only needs the recent tail anyway.
 */
export class MemoryEventFeed implements EventFeed, EventSink {
  /** Sorted by id; live entries are items[head..]. Compacted when the dead prefix grows. */
  private items: FeedEvent[] = [];
  private head = 0;
  private readonly listeners = new Set<(events: readonly FeedEvent[]) => void>();

  constructor(private readonly capacity = 10_000) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
  }

  /** Events committed before this process started (read from the log), so a client can resume across a restart. */
  prefill(events: readonly RoomEvent[]): void {
    this.add(events);
  }

  emit(events: readonly RoomEvent[]): void {
    const batch = this.add(events);
    if (batch.length === 0) return;
    for (const listener of this.listeners) listener(batch);
  }

  latestId(): number {
    return this.items.length > this.head ? this.items[this.items.length - 1]!.id : 0;
  }

  after(afterId: number, limit: number): FeedEvent[] {
    // Binary search for the first id > afterId.
    let lo = this.head;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.items[mid]!.id <= afterId) lo = mid + 1;
      else hi = mid;
    }
    return this.items.slice(lo, lo + Math.max(0, limit));
  }

  subscribe(listener: (events: readonly FeedEvent[]) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** Subscribers right now (the stream's disconnect cleanup is tested through it). */
  subscriberCount(): number {
    return this.listeners.size;
  }

  private add(events: readonly RoomEvent[]): FeedEvent[] {
    const batch: FeedEvent[] = [];
    for (const e of events) {
      const last = this.latestId();
      if (e.id <= last) {
        // Two polls' commits may reach the fan-out out of id order; keep the ring sorted, never duplicated.
        if (this.items.slice(this.head).some((x) => x.id === e.id)) continue;
        this.items.push(e);
        this.items.sort((a, b) => a.id - b.id);
      } else {
        this.items.push(e);
      }
      batch.push(e);
    }
    const live = this.items.length - this.head;
    if (live > this.capacity) this.head += live - this.capacity;
    if (this.head > this.capacity) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return batch;
  }
}
