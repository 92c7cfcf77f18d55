import type { EventSink } from '../polling/room-poller';
import type { RoomEvent } from '../rooms/room-event';
import type { Leadership } from './leadership';

/**
 * Member events leave the process only while it is the leader. A poll that was in flight when the
 * lease was lost (the process was paused, or cut off from Redis) completes afterwards; its events are
 * withheld, so a deposed leader and its successor never both report the same change. With the Redis
 * store, the fence moves into the store's commit script (fencing.ts); this is the in-memory stand-in.
 */
export class FencedSink implements EventSink {
  constructor(
    private readonly sink: EventSink,
    private readonly leadership: Leadership,
    private readonly withheld: (events: readonly RoomEvent[]) => void,
  ) {}

  emit(events: readonly RoomEvent[]): void {
    if (this.leadership.isLeader()) this.sink.emit(events);
    else this.withheld(events);
  }
}
