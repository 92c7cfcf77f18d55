import { roomKey } from '../rooms/room-event';
import type { EventFeed, FeedEvent } from './event-feed';

/**
 * Each room's last few events, for the room view. Kept per room (a small ring fed by the feed's
 * notifications) rather than found by scanning the feed, so a quiet room still shows its last events
 * after the busy rooms have pushed them out of the feed, and a room view costs O(perRoom).
 */
export class RecentRoomEvents {
  private readonly rooms = new Map<string, FeedEvent[]>();
  private readonly unsubscribe: () => void;

  /**
   * `monitored` (by roomKey) keeps out events of a room already removed: a poll that was committing when a
   * reload removed its room still hands its events to the feed.
   */
  constructor(
    feed: EventFeed,
    private readonly perRoom = 20,
    private readonly monitored: (key: string) => boolean = () => true,
  ) {
    this.unsubscribe = feed.subscribe((events) => {
      for (const e of events) this.add(e);
    });
  }

  /** Newest first. */
  of(appId: string, roomId: string): readonly FeedEvent[] {
    return [...(this.rooms.get(roomKey(appId, roomId)) ?? [])].reverse();
  }

  /** Forget rooms not in `keep`. */
  retain(keep: ReadonlySet<string>): void {
    for (const key of this.rooms.keys()) if (!keep.has(key)) this.rooms.delete(key);
  }

  close(): void {
    this.unsubscribe();
  }

  private add(e: FeedEvent): void {
    const key = roomKey(e.appId, e.roomId);
    let list = this.rooms.get(key);
    if (!list) {
      if (!this.monitored(key)) return;
      this.rooms.set(key, (list = []));
    }
    list.push(e);
    if (list.length > this.perRoom) list.splice(0, list.length - this.perRoom);
  }
}
