import { roomKey } from '../../src/rooms/room-event';
import { OccupancyHistory } from '../../src/status/occupancy-history';
import { OccupancySampler, OccupancySource, RoomCounts } from '../../src/status/occupancy-sampler';

const T0 = 1_700_000_000_000;
const MIN = 60_000;

describe('OccupancyHistory', () => {
  it('keeps one point per bucket (the last sample wins), oldest first', () => {
    const h = new OccupancyHistory({ windowMs: 60 * MIN, bucketMs: MIN });
    h.record('k', T0 + 1000, 5, 1);
    h.record('k', T0 + 30_000, 6, 1); // same minute: replaces
    h.record('k', T0 + MIN + 1000, 7, 2);
    expect(h.series('k', T0 + 2 * MIN)).toEqual([
      { timeMs: T0 + 30_000, totalUsers: 6, invisibleUsers: 1 },
      { timeMs: T0 + MIN + 1000, totalUsers: 7, invisibleUsers: 2 },
    ]);
    expect(h.series('other', T0)).toEqual([]);
  });

  it('ignores samples that are not newer than the last one', () => {
    const h = new OccupancyHistory({ windowMs: 10 * MIN, bucketMs: MIN });
    h.record('k', T0 + 5 * MIN, 5, 0);
    h.record('k', T0 + 5 * MIN, 9, 0);
    h.record('k', T0, 9, 0);
    expect(h.series('k', T0 + 6 * MIN).map((p) => p.totalUsers)).toEqual([5]);
  });

  it('holds at most the window, however long it runs', () => {
    const h = new OccupancyHistory({ windowMs: 60 * MIN, bucketMs: MIN });
    for (let i = 0; i < 500; i++) h.record('k', T0 + i * MIN, i, 0);
    const now = T0 + 499 * MIN;
    const series = h.series('k', now);
    expect(series.length).toBe(61);
    expect(series[0]!.timeMs).toBe(now - 60 * MIN);
    expect(series[60]!.totalUsers).toBe(499);
    // Read later, points older than the window are left out.
    expect(h.series('k', now + 30 * MIN).length).toBe(31);
  });

  it('drops rooms not retained', () => {
    const h = new OccupancyHistory({ windowMs: MIN, bucketMs: MIN });
    h.record('a', T0, 1, 0);
    h.record('b', T0, 1, 0);
    h.retain(new Set(['b']));
    expect(h.size()).toBe(1);
    expect(h.series('a', T0)).toEqual([]);
  });

  it('rejects a bucket longer than the window', () => {
    expect(() => new OccupancyHistory({ windowMs: MIN, bucketMs: 2 * MIN })).toThrow(RangeError);
  });
});

describe('OccupancySampler', () => {
  /** A store-like source: rooms under their keys, and a version bumped when the set changes. */
  const source = (): OccupancySource & { rooms: Map<string, RoomCounts>; version: number; visits: number } => {
    const s = {
      rooms: new Map<string, RoomCounts>(),
      version: 0,
      visits: 0,
      forEachRoom: (visit: (room: RoomCounts, key: string) => void) => {
        s.visits++;
        s.rooms.forEach(visit);
      },
      roomSetVersion: () => s.version,
      hasRoom: (key: string) => s.rooms.has(key),
    };
    return s;
  };
  const counts = (lastSuccessMs: number | undefined, totalUsers = 0, totalInvisibleUsers = 0): RoomCounts => ({ lastSuccessMs, totalUsers, totalInvisibleUsers });

  it('records each successful poll once and skips rooms never polled', () => {
    const h = new OccupancyHistory({ windowMs: 60 * MIN, bucketMs: 1000 });
    const src = source();
    const sampler = new OccupancySampler(h, src);
    src.rooms.set(roomKey('a', 'up'), counts(T0, 3, 1));
    src.rooms.set(roomKey('a', 'never'), counts(undefined));
    expect([...sampler.sample()!]).toEqual([roomKey('a', 'up'), roomKey('a', 'never')]);
    sampler.sample(); // no new poll: no new point
    src.rooms.set(roomKey('a', 'up'), counts(T0 + 5000, 4, 1));
    sampler.sample();
    expect(h.series(roomKey('a', 'up'), T0 + 5000)).toEqual([
      { timeMs: T0, totalUsers: 3, invisibleUsers: 1 },
      { timeMs: T0 + 5000, totalUsers: 4, invisibleUsers: 1 },
    ]);
    expect(h.series(roomKey('a', 'never'), T0 + 5000)).toEqual([]);
    expect(h.size()).toBe(1);
  });

  it('collects the set of rooms only when the source says it changed, and then forgets rooms that are gone', () => {
    const h = new OccupancyHistory({ windowMs: 60 * MIN, bucketMs: 1000 });
    const src = source();
    const sampler = new OccupancySampler(h, src);
    src.rooms.set(roomKey('a', 'stays'), counts(T0, 1));
    src.rooms.set(roomKey('a', 'goes'), counts(T0, 2));
    expect(sampler.sample()).toEqual(new Set([roomKey('a', 'stays'), roomKey('a', 'goes')]));
    expect(sampler.sample()).toBeUndefined(); // same set: nothing to drop, no set built
    src.rooms.delete(roomKey('a', 'goes'));
    src.version++;
    expect(sampler.sample()).toEqual(new Set([roomKey('a', 'stays')]));
    expect(h.series(roomKey('a', 'goes'), T0)).toEqual([]);
    expect(h.series(roomKey('a', 'stays'), T0)).toEqual([{ timeMs: T0, totalUsers: 1, invisibleUsers: 0 }]);
    src.rooms.clear();
    src.version++;
    expect(sampler.sample()).toEqual(new Set());
    expect(h.size()).toBe(0);
    expect(src.visits).toBe(4);
  });
});
