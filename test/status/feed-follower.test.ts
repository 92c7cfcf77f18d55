import type { RoomEvent } from '../../src/rooms/room-event';
import { FeedFollower } from '../../src/status/feed-follower';
import type { FeedEvent } from '../../src/status/event-feed';
import { MemoryEventFeed } from '../../src/status/memory-event-feed';
import { MemoryStore } from '../../src/store/memory-store';
import { FakeClock, settle } from '../fakes/fake-clock';
import { memoryLogger } from '../fakes/recorders';

/**
 * A standby's status feed follows the shared event log (issue #18: "a standby's status page shows no live
 * events"). The MemoryStore stands in for the shared Redis store: commits made on it directly are the
 * leader's, which never pass through this replica's sinks.
 */
function setup(batch = 500) {
  const clock = new FakeClock(1_000_000);
  const store = new MemoryStore({ maxEvents: 100_000, maxAgeSeconds: 3600 }, () => clock.now());
  const feed = new MemoryEventFeed(10_000);
  const seen: number[] = [];
  feed.subscribe((events) => seen.push(...events.map((e) => e.id)));
  const role = { leader: false };
  const failReads = { n: 0 };
  const log = memoryLogger();
  const reads = {
    readEvents: (after: number, limit: number): Promise<RoomEvent[]> => {
      if (failReads.n > 0) {
        failReads.n--;
        return Promise.reject(new Error('redis: Command timed out'));
      }
      return store.readEvents(after, limit);
    },
  };
  const follower = new FeedFollower(reads, feed, { active: () => !role.leader, clock, logger: log.logger, intervalMs: 1000, batch });
  let user = 0;
  /** The leader commits n joins to the shared log. */
  const leaderCommits = async (n: number): Promise<RoomEvent[]> =>
    store.commitPoll({
      appId: 'app',
      roomId: 'r',
      exists: true,
      totalUsers: 0,
      totalInvisibleUsers: 0,
      lastSuccessMs: 0,
      changes: [],
      events: Array.from({ length: n }, () => ({ time: '2026-01-01T00:00:00.000Z', type: 'join' as const, appId: 'app', roomId: 'r', userId: `u${++user}`, visibility: 'visible' as const })),
    }, 1);
  const tick = async (): Promise<void> => {
    await clock.advance(1000);
    await settle();
  };
  return { clock, store, feed, seen, role, failReads, log, follower, leaderCommits, tick };
}

const ids = (events: readonly FeedEvent[]): number[] => events.map((e) => e.id);
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('FeedFollower', () => {
  test('a standby shows the events the leader commits to the shared log, live and in id order', async () => {
    const t = setup();
    await t.leaderCommits(2);
    t.feed.prefill(await t.store.readEvents(0, 100)); // as main.ts does at start
    t.follower.start();
    await settle();
    await t.leaderCommits(3);
    await t.tick();
    expect(ids(t.feed.after(0, 100))).toEqual(range(1, 5));
    expect(t.seen).toEqual(range(3, 5));
    await t.leaderCommits(1);
    await t.tick();
    expect(t.seen).toEqual(range(3, 6));
    await t.follower.stop();
  });

  test('catches up with a backlog larger than one read in one run', async () => {
    const t = setup(100);
    t.follower.start();
    await settle();
    await t.leaderCommits(1234);
    await t.tick();
    expect(t.feed.latestId()).toBe(1234);
    expect(t.seen).toEqual(range(1, 1234));
    await t.follower.stop();
  });

  test('a failed read is logged once, retried, and loses nothing', async () => {
    const t = setup();
    t.follower.start();
    await settle();
    await t.leaderCommits(2);
    t.failReads.n = 3;
    for (let i = 0; i < 3; i++) await t.tick();
    expect(t.feed.latestId()).toBe(0);
    await t.tick();
    expect(t.seen).toEqual([1, 2]);
    const msgs = t.log.lines().map((l) => String(l.msg));
    expect(msgs.filter((m) => /reading the shared event log failed/.test(m))).toHaveLength(1);
    expect(msgs.filter((m) => /recovered/.test(m))).toHaveLength(1);
    await t.follower.stop();
  });

  test('on becoming leader it reads once more (what the old leader committed), then leaves the feed to the sinks', async () => {
    const t = setup();
    t.follower.start();
    await settle();
    await t.leaderCommits(2);
    t.role.leader = true;
    await t.tick();
    expect(t.seen).toEqual([1, 2]);
    // Now this replica commits; its sinks fill the feed, the follower no longer reads.
    const own = await t.leaderCommits(2);
    await t.tick();
    expect(t.seen).toEqual([1, 2]);
    t.feed.emit(own);
    expect(t.seen).toEqual(range(1, 4));
    // Deposed: following again from the newest the feed holds, nothing twice.
    t.role.leader = false;
    await t.leaderCommits(1);
    await t.tick();
    expect(t.seen).toEqual(range(1, 5));
    await t.follower.stop();
  });
});
