import type { RoomEvent } from '../rooms/room-event';

/** A member event with its position in the event log: positive, increasing, never reused by one log. */
export interface FeedEvent extends RoomEvent {
  id: number;
}

/**
 * What the status page reads from the event log: a cursor read and a "new events committed" signal.
 * The in-memory adapter (memory-event-feed.ts) implements it today; a durable log can implement the same
 * three methods, and nothing in src/status changes.
 */
export interface EventFeed {
  /** Up to `limit` events with id > `afterId`, oldest first. Events older than the log keeps are gone. */
  after(afterId: number, limit: number): readonly FeedEvent[];
  /** The id of the newest event, 0 when there is none. */
  latestId(): number;
  /** Called (synchronously, in id order) with each batch once it is readable through `after`. */
  subscribe(listener: (events: readonly FeedEvent[]) => void): () => void;
}
