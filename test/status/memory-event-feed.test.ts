import type { RoomEvent } from '../../src/rooms/room-event';
import type { FeedEvent } from '../../src/status/event-feed';
import { MemoryEventFeed } from '../../src/status/memory-event-feed';

let nextId = 1;
const ev = (userId: string, roomId = 'r', id = nextId++): RoomEvent => ({ id, time: '2026-01-01T00:00:00.000Z', type: 'join', appId: 'a', roomId, userId, visibility: 'visible' });

beforeEach(() => {
  nextId = 1;
});
const users = (events: readonly FeedEvent[]): string[] => events.map((e) => e.userId);

describe('MemoryEventFeed', () => {
  it('keeps events by their log ids and reads them after a cursor', () => {
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
    expect(feed.after(0, 10)[0]).toEqual(ev('u1', 'r', 1));
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

  it('resumes across a restart from events pre-filled from the log, and keeps ids sorted and unique', () => {
    const feed = new MemoryEventFeed(10);
    feed.prefill([ev('old1', 'r', 41), ev('old2', 'r', 42)]);
    const seen: number[] = [];
    feed.subscribe((batch) => seen.push(...batch.map((e) => e.id)));
    feed.emit([ev('n2', 'r', 44), ev('n1', 'r', 43), ev('dup', 'r', 42)]);
    expect(feed.after(41, 10).map((e) => e.id)).toEqual([42, 43, 44]);
    expect(feed.latestId()).toBe(44);
    expect(seen).toEqual([44, 43]);
  });

  it('rejects a capacity that is not a positive integer', () => {
    expect(() => new MemoryEventFeed(0)).toThrow(RangeError);
  });
});
