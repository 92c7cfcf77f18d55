import type { EventSink } from '../polling/room-poller';
import type { RoomEvent } from '../rooms/room-event';
import type { EventFeed, FeedEvent } from './event-feed';

/**
 * The event feed kept in memory: an EventSink on the fan-out that numbers each event (1, 2, 3, ... per
 * process) and keeps the newest `capacity` in a ring. Ids restart with the process; a client that resumes
 * with an id from before a restart is handled by the stream (event-stream.ts), not here.
 */
export class MemoryEventFeed implements EventFeed, EventSink {
  private readonly ring: (FeedEvent | undefined)[];
  private nextId = 1;
  private readonly listeners = new Set<(events: readonly FeedEvent[]) => void>();

  constructor(private readonly capacity = 10_000) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
    this.ring = new Array<FeedEvent | undefined>(capacity);
  }

  emit(events: readonly RoomEvent[]): void {
    if (events.length === 0) return;
    const batch: FeedEvent[] = [];
    for (const e of events) {
      const numbered: FeedEvent = { id: this.nextId++, ...e };
      this.ring[numbered.id % this.capacity] = numbered;
      batch.push(numbered);
    }
    for (const listener of this.listeners) listener(batch);
  }

  latestId(): number {
    return this.nextId - 1;
  }

  after(afterId: number, limit: number): FeedEvent[] {
    const latest = this.latestId();
    const oldest = Math.max(1, latest - this.capacity + 1);
    const out: FeedEvent[] = [];
    for (let id = Math.max(oldest, Math.floor(afterId) + 1); id <= latest && out.length < limit; id++) {
      out.push(this.ring[id % this.capacity]!);
    }
    return out;
  }

  subscribe(listener: (events: readonly FeedEvent[]) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** Subscribers right now (the stream's disconnect cleanup is tested through it). */
  subscriberCount(): number {
    return this.listeners.size;
  }
}
