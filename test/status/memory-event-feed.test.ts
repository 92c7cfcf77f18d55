import type { RoomEvent } from '../../src/rooms/room-event';
import type { FeedEvent } from '../../src/status/event-feed';
import { MemoryEventFeed } from '../../src/status/memory-event-feed';

const ev = (userId: string, roomId = 'r'): RoomEvent => ({ time: '2026-01-01T00:00:00.000Z', type: 'join', appId: 'a', roomId, userId, visibility: 'visible' });
const users = (events: readonly FeedEvent[]): string[] => events.map((e) => e.userId);

describe('MemoryEventFeed', () => {
  it('numbers events 1, 2, 3, ... and reads them after a cursor', () => {
    const feed = new MemoryEventFeed(10);
    expect(feed.latestId()).toBe(0);
    expect(feed.after(0, 10)).toEqual([]);
    feed.emit([ev('u1'), ev('u2')]);
    feed.emit([]);
    feed.emit([ev('u3')]);
    expect(feed.latestId()).toBe(3);
    expect(feed.after(0, 10).map((e) => e.id)).toEqual([1, 2, 3]);
    expect(users(feed.after(1, 10))).toEqual(['u2', 'u3']);
    expect(users(feed.after(0, 2))).toEqual(['u1', 'u2']);
    expect(feed.after(3, 10)).toEqual([]);
    expect(feed.after(0, 10)[0]).toEqual({ id: 1, ...ev('u1') });
  });

  it('keeps only the newest `capacity` events; an old cursor resumes at the oldest kept', () => {
    const feed = new MemoryEventFeed(3);
    feed.emit(['a', 'b', 'c', 'd', 'e'].map((u) => ev(u)));
    expect(feed.after(0, 10).map((e) => [e.id, e.userId])).toEqual([[3, 'c'], [4, 'd'], [5, 'e']]);
    expect(users(feed.after(3, 10))).toEqual(['d', 'e']);
  });

  it('notifies subscribers once per batch, after the batch is readable, until they unsubscribe', () => {
    const feed = new MemoryEventFeed(10);
    const seen: string[][] = [];
    const unsubscribe = feed.subscribe((batch) => {
      seen.push(users(batch));
      expect(feed.latestId()).toBe(batch[batch.length - 1]!.id);
    });
    feed.emit([ev('u1'), ev('u2')]);
    expect(feed.subscriberCount()).toBe(1);
    unsubscribe();
    feed.emit([ev('u3')]);
    expect(seen).toEqual([['u1', 'u2']]);
    expect(feed.subscriberCount()).toBe(0);
  });

  it('rejects a capacity that is not a positive integer', () => {
    expect(() => new MemoryEventFeed(0)).toThrow(RangeError);
  });
});
