import { Members } from '../../src/rooms/membership-diff';
import { roomKey } from '../../src/rooms/room-event';
import { MemoryStore } from '../../src/store/memory-store';
import { RoomStore } from '../../src/store/room-store';
import type { Fence, PollCommit, StateStore } from '../../src/store/store';
import { BASELINE_MISSING_CODE, StateWriteError } from '../../src/store/store';
import type { RoomSnapshot } from '../../src/volc/room-online-users';

const ref = { appId: 'app', roomId: 'r1' };
const snap = (visible: string[], invisible: string[] = [], extra: Partial<RoomSnapshot> = {}): RoomSnapshot => ({
  exists: true,
  totalUsers: visible.length + invisible.length,
  totalInvisibleUsers: invisible.length,
  visible,
  invisible,
  ...extra,
});
const gone: RoomSnapshot = { exists: false, totalUsers: 0, totalInvisibleUsers: 0, visible: [], invisible: [] };

const retention = { maxEvents: 1000, maxAgeSeconds: 3600 };

function store(state: StateStore = new MemoryStore(retention)): RoomStore {
  const s = new RoomStore(state, () => 1);
  s.setRooms([{ ...ref, capacity: 10 }]);
  return s;
}

describe('RoomStore', () => {
  it('treats the first successful poll as a baseline: no events, gauges set', async () => {
    const s = store();
    expect((await s.applySuccess(ref, snap(['a', 'b'], ['c']), 1000)).events).toEqual([]);
    expect(s.get('app', 'r1')).toMatchObject({ totalUsers: 3, totalInvisibleUsers: 1, exists: true, up: true, lastSuccessMs: 1000, joins: 0 });
  });

  it('emits events with the contract fields and counts them', async () => {
    const s = store();
    await s.applySuccess(ref, snap(['a'], ['b']), 1000);
    const { events } = await s.applySuccess(ref, snap(['b', 'c']), Date.UTC(2026, 0, 2, 3, 4, 5));
    expect(events).toEqual(
      expect.arrayContaining([
        { id: expect.any(Number), time: '2026-01-02T03:04:05.000Z', type: 'join', appId: 'app', roomId: 'r1', userId: 'c', visibility: 'visible', source: 'poll' },
        { id: expect.any(Number), time: '2026-01-02T03:04:05.000Z', type: 'leave', appId: 'app', roomId: 'r1', userId: 'a', visibility: 'visible', source: 'poll' },
        { id: expect.any(Number), time: '2026-01-02T03:04:05.000Z', type: 'visibility_change', appId: 'app', roomId: 'r1', userId: 'b', visibility: 'visible', source: 'poll' },
      ]),
    );
    expect(events).toHaveLength(3);
    expect(s.get('app', 'r1')).toMatchObject({ joins: 1, leaves: 1, visibilityChanges: 1 });
  });

  it('changes nothing on a failed poll except the health', async () => {
    const s = store();
    await s.applySuccess(ref, snap(['a']), 1000);
    s.applyFailure(ref);
    expect(s.get('app', 'r1')).toMatchObject({ totalUsers: 1, lastSuccessMs: 1000, up: false, pollFailures: 1 });
    // The next success diffs against the last successful poll, not against nothing.
    expect((await s.applySuccess(ref, snap(['a']), 3000)).events).toEqual([]);
  });

  it('reports a leave for every member when the room stops existing, with gauges at 0', async () => {
    const s = store();
    await s.applySuccess(ref, snap(['a'], ['b']), 1000);
    const { events } = await s.applySuccess(ref, gone, 2000);
    expect(events.map((e) => `${e.type}:${e.userId}:${e.visibility}`).sort()).toEqual(['leave:a:visible', 'leave:b:invisible']);
    expect(s.get('app', 'r1')).toMatchObject({ exists: false, totalUsers: 0, totalInvisibleUsers: 0 });
  });

  it('withholds invisible leaves while the invisible list is truncated, and flags it', async () => {
    const s = store();
    await s.applySuccess(ref, snap([], ['a', 'b']), 1000);
    const result = await s.applySuccess(ref, snap([], ['c'], { totalInvisibleUsers: 3, totalUsers: 3 }), 2000);
    expect(result.events.map((e) => `${e.type}:${e.userId}`)).toEqual(['join:c']);
    expect(result.truncated).toBe(true);
    expect(s.get('app', 'r1')).toMatchObject({ invisibleTruncated: true, totalInvisibleUsers: 3 });
  });

  it('withholds the leaves of members a short visible list leaves out, still reports its joins, and flags it', async () => {
    const s = store();
    await s.applySuccess(ref, snap(['a', 'b', 'c']), 1000);
    // TotalUser counts four visible members; the list names two of them.
    const result = await s.applySuccess(ref, snap(['a', 'n'], [], { totalUsers: 4 }), 2000);
    expect(result.events.map((e) => `${e.type}:${e.userId}`)).toEqual(['join:n']);
    expect(result.truncated).toBe(true);
    expect(s.get('app', 'r1')).toMatchObject({ visibleTruncated: true, invisibleTruncated: false, totalUsers: 4 });
    // A complete list settles it: the members really gone leave then, once.
    const complete = await s.applySuccess(ref, snap(['a', 'n']), 3000);
    expect(complete.events.map((e) => `${e.type}:${e.userId}`).sort()).toEqual(['leave:b', 'leave:c']);
    expect(s.get('app', 'r1')).toMatchObject({ visibleTruncated: false });
  });

  it('ignores polls of rooms removed by a reload and keeps the state of rooms that stay', async () => {
    const s = store();
    await s.applySuccess(ref, snap(['a']), 1000);
    s.setRooms([{ appId: 'app', roomId: 'r2' }, { ...ref }]);
    expect(s.get('app', 'r1')).toMatchObject({ totalUsers: 1, capacity: undefined });
    s.setRooms([{ appId: 'app', roomId: 'r2' }]);
    expect((await s.applySuccess(ref, snap([]), 2000)).events).toEqual([]);
    expect(s.get('app', 'r1')).toBeUndefined();
    expect([...s.views()].map((v) => v.roomId)).toEqual(['r2']);
  });

  it('lists rooms with their keys, and changes its room-set version only when a room is added or removed', async () => {
    const s = store();
    const v0 = s.roomSetVersion();
    s.setRooms([{ ...ref, capacity: 20 }]); // same room, new capacity: same set
    expect(s.roomSetVersion()).toBe(v0);
    await s.applySuccess(ref, snap(['a']), 1000); // polls never change the set
    expect(s.roomSetVersion()).toBe(v0);
    s.setRooms([{ ...ref }, { appId: 'app', roomId: 'r2' }]);
    const v1 = s.roomSetVersion();
    expect(v1).not.toBe(v0);
    const seen: Array<[string, number]> = [];
    s.forEachRoom((room, key) => seen.push([key, room.totalUsers]));
    expect(seen).toEqual([
      [roomKey('app', 'r1'), 1],
      [roomKey('app', 'r2'), 0],
    ]);
    s.setRooms([{ appId: 'app', roomId: 'r2' }]);
    expect(s.roomSetVersion()).not.toBe(v1);
  });

  it('loads committed membership as the baseline and skips rooms no longer configured', async () => {
    const state = new MemoryStore(retention);
    await state.commitPoll({ appId: 'app', roomId: 'r1', exists: true, totalUsers: 2, totalInvisibleUsers: 1, lastSuccessMs: 500, baseline: { visible: ['a'], invisible: ['b'] }, changes: [], events: [] }, 1);
    await state.commitPoll({ appId: 'app', roomId: 'old', exists: true, totalUsers: 1, totalInvisibleUsers: 0, lastSuccessMs: 500, baseline: { visible: ['x'], invisible: [] }, changes: [], events: [] }, 1);
    const s = store(state);
    expect(await s.loadPending()).toBe(1);
    expect(s.get('app', 'r1')).toMatchObject({ baselined: true, totalUsers: 2, lastSuccessMs: 500 });
    const { events } = await s.applySuccess(ref, snap(['a', 'c']), 1000);
    expect(events.map((e) => `${e.type}:${e.userId}`).sort()).toEqual(['join:c', 'leave:b']);
    const [room] = (await state.loadRooms()).filter((r) => r.roomId === 'r1');
    expect(room).toMatchObject({ totalUsers: 2, totalInvisibleUsers: 0, lastSuccessMs: 1000, invisible: [] });
    expect(new Set(room!.visible)).toEqual(new Set(['a', 'c']));
  });

  it('commits exactly the changes of a poll, and nothing for an unchanged room', async () => {
    const state = new MemoryStore(retention);
    const commits: PollCommit[] = [];
    const spy: StateStore = Object.assign(Object.create(state) as StateStore, { commitPoll: (c: PollCommit, fence: Fence) => (commits.push(c), state.commitPoll(c, fence)) });
    const s = store(spy);
    const big = Array.from({ length: 10_000 }, (_, i) => `u${i}`);
    await s.applySuccess(ref, snap(big), 1000);
    await s.applySuccess(ref, snap(big), 2000);
    await s.applySuccess(ref, snap([...big.slice(2), 'n1']), 3000);
    expect(commits).toHaveLength(2);
    expect(commits[0]!.baseline?.visible).toHaveLength(10_000);
    expect(commits[1]!.baseline).toBeUndefined();
    expect(commits[1]!.changes.map((c) => `${c.type}:${c.userId}`).sort()).toEqual(['join:n1', 'leave:u0', 'leave:u1']);
    expect(commits[1]!.events).toHaveLength(3);
  });

  it('keeps the held membership of an unchanged room and still reports the next change', async () => {
    const s = store();
    await s.applySuccess(ref, snap(['a', 'b'], ['c']), 1000);
    const held = s.get('app', 'r1')!.membership;
    expect((await s.applySuccess(ref, snap(['a', 'b'], ['c']), 2000)).events).toEqual([]);
    // The fast path: nothing rebuilt, the very same sets kept.
    expect(s.get('app', 'r1')!.membership).toBe(held);
    expect(s.get('app', 'r1')).toMatchObject({ lastSuccessMs: 2000, up: true });
    // Same ids in another order: the full diff runs and finds nothing either.
    expect((await s.applySuccess(ref, snap(['b', 'a'], ['c']), 3000)).events).toEqual([]);
    // A duplicate that hides a leave is not mistaken for "unchanged".
    const { events } = await s.applySuccess(ref, snap(['a', 'a'], ['c'], { totalUsers: 2 }), 4000);
    expect(events.map((e) => `${e.type}:${e.userId}`)).toEqual(['leave:b']);
    // Changed in place: the same object, now without b.
    expect(s.get('app', 'r1')!.membership).toBe(held);
    expect([...held.visible()]).toEqual(['a']);
  });

  it('takes the order of a complete answer that differs from the held one, so the next unchanged answer takes the fast path', async () => {
    const state = new MemoryStore(retention);
    // Restored in another order than the server lists (a SQLite store returns ids sorted).
    await state.commitPoll({ appId: 'app', roomId: 'r1', exists: true, totalUsers: 3, totalInvisibleUsers: 1, lastSuccessMs: 500, baseline: { visible: ['3', '20'], invisible: ['i'] }, changes: [], events: [] }, 1);
    const s = store(state);
    await s.loadPending();
    const diff = jest.spyOn(Members.prototype, 'diff');
    try {
      expect((await s.applySuccess(ref, snap(['20', '3'], ['i']), 1000)).events).toEqual([]);
      expect(diff).toHaveBeenCalledTimes(1); // another order: the full diff, which finds nothing
      expect((await s.applySuccess(ref, snap(['20', '3'], ['i']), 2000)).events).toEqual([]);
      expect(diff).toHaveBeenCalledTimes(1); // the fast path from then on
    } finally {
      diff.mockRestore();
    }
  });

  it('takes the full diff while the invisible list is truncated, even when the lists repeat', async () => {
    const s = store();
    await s.applySuccess(ref, snap(['v'], ['i1', 'i2']), 1000);
    // i2 unlisted but counted: held as undecided, no event.
    await s.applySuccess(ref, snap(['v'], ['i1'], { totalInvisibleUsers: 2, totalUsers: 3 }), 2000);
    expect([...s.get('app', 'r1')!.membership.invisible()].sort()).toEqual(['i1', 'i2']);
    // The same truncated answer again: the held member stays, nothing is reported.
    expect((await s.applySuccess(ref, snap(['v'], ['i1'], { totalInvisibleUsers: 2, totalUsers: 3 }), 3000)).events).toEqual([]);
    // The complete list resolves it.
    const { events } = await s.applySuccess(ref, snap(['v'], ['i1']), 4000);
    expect(events.map((e) => `${e.type}:${e.userId}`)).toEqual(['leave:i2']);
  });

  it('does not move ahead when the commit fails: the next poll diffs against what was committed', async () => {
    const state = new MemoryStore(retention);
    let fail = false;
    const flaky: StateStore = Object.assign(Object.create(state) as StateStore, {
      commitPoll: (c: PollCommit, fence: Fence) => (fail ? Promise.reject(new StateWriteError('disk full', 'SQLITE_FULL')) : state.commitPoll(c, fence)),
    });
    const s = store(flaky);
    await s.applySuccess(ref, snap(['a']), 1000);
    fail = true;
    await expect(s.applySuccess(ref, snap(['a', 'b']), 2000)).rejects.toBeInstanceOf(StateWriteError);
    expect(s.get('app', 'r1')).toMatchObject({ totalUsers: 1, lastSuccessMs: 1000, joins: 0 });
    expect([...s.get('app', 'r1')!.membership.visible()]).toEqual(['a']);
    fail = false;
    const { events } = await s.applySuccess(ref, snap(['a', 'b']), 3000);
    expect(events.map((e) => `${e.type}:${e.userId}`)).toEqual(['join:b']);
    expect(await state.readEvents(0, 10)).toEqual(events);
  });
});

describe('RoomStore on a shared store (replicas)', () => {
  it('passes the fence of the moment to every commit', async () => {
    const state = new MemoryStore(retention);
    const fences: unknown[] = [];
    const commit = state.commitPoll.bind(state);
    state.commitPoll = (c, fence) => {
      fences.push(fence);
      return commit(c, fence);
    };
    let token = 4;
    const s = new RoomStore(state, () => token);
    s.setRooms([ref]);
    await s.applySuccess(ref, snap(['a']), 1000);
    token = 9;
    await s.applySuccess(ref, snap(['b']), 2000);
    expect(fences).toEqual([4, 9]);
  });

  it('after invalidate() continues from what another replica committed: no repeated, no lost event', async () => {
    const state = new MemoryStore(retention);
    const a = new RoomStore(state, () => 1);
    const b = new RoomStore(state, () => 1);
    a.setRooms([ref]);
    b.setRooms([ref]);
    await b.loadPending(); // a standby at start: nothing committed yet
    await a.applySuccess(ref, snap(['x']), 1000); // a is leader: baseline
    await a.applySuccess(ref, snap(['x', 'y']), 2000); // join y
    b.invalidate(); // b becomes leader
    const { events } = await b.applySuccess(ref, snap(['y', 'z']), 3000); // no loadPending before the poll
    expect(events.map((e) => [e.type, e.userId]).sort()).toEqual([
      ['join', 'z'],
      ['leave', 'x'],
    ]);
  });
});

describe('RoomStore on a shared store (issue #18, defect 1)', () => {
  it('a standby that drops rooms from its set deletes nothing the leader committed', async () => {
    const lease = { token: 3 as number | undefined };
    const state = new MemoryStore(retention, Date.now, { holds: (t) => t !== undefined && t === lease.token });
    const discovered = { appId: 'app', roomId: 'discovered' };
    const leader = new RoomStore(state, () => 3);
    const standby = new RoomStore(state, () => undefined);
    leader.setRooms([ref, discovered]);
    await leader.applySuccess(ref, snap(['a']), 1000);
    await leader.applySuccess(discovered, snap(['d']), 1000);
    // The standby knows only the fixed room (its discovery does not run), and a reload removes it too.
    standby.setRooms([ref]);
    standby.setRooms([]);
    await new Promise((r) => setImmediate(r));
    expect((await state.loadRooms()).map((r) => r.roomId).sort()).toEqual(['discovered', 'r1']);
    // The leader's own retention still works.
    leader.setRooms([discovered]);
    await new Promise((r) => setImmediate(r));
    expect((await state.loadRooms()).map((r) => r.roomId)).toEqual(['discovered']);
  });
});

describe('RoomStore room retention forgets only what it removed (issue #18, defect 1)', () => {
  it('a new leader that has not discovered a room yet does not delete it when it drops another room', async () => {
    const state = new MemoryStore(retention);
    const discovered = { appId: 'app', roomId: 'discovered' };
    const old = { appId: 'app', roomId: 'old' };
    const before = new RoomStore(state, () => 1);
    before.setRooms([ref, old, discovered]);
    for (const r of [ref, old, discovered]) await before.applySuccess(r, snap(['a']), 1000);
    const next = new RoomStore(state, () => 1); // took over; its ListRoomInfo pass has not run yet
    next.setRooms([ref, old]);
    next.setRooms([ref]); // a reload removes `old`
    await new Promise((r) => setImmediate(r));
    expect((await state.loadRooms()).map((r) => r.roomId).sort()).toEqual(['discovered', 'r1']);
  });
});

describe('RoomStore.loadPending', () => {
  it('a read failure leaves every room whose baseline was not applied pending: none falls back to a fresh baseline', async () => {
    const state = new MemoryStore(retention);
    const refs = ['r1', 'r2', 'r3'].map((roomId) => ({ appId: 'app', roomId }));
    const writer = new RoomStore(state, () => 1);
    writer.setRooms(refs);
    for (const r of refs) await writer.applySuccess(r, snap(['a']), 1000);
    const load = state.loadRoom.bind(state);
    let calls = 0;
    state.loadRoom = (appId, roomId) => (++calls === 2 ? Promise.reject(new Error('connection lost')) : load(appId, roomId));
    const reader = new RoomStore(state, () => 1);
    reader.setRooms(refs);
    await expect(reader.loadPending()).rejects.toThrow('connection lost');
    expect(await reader.loadPending()).toBe(3);
    for (const r of refs) {
      const { events } = await reader.applySuccess(r, snap(['a', 'b']), 2000);
      expect(events.map((e) => `${e.type}:${e.userId}`)).toEqual(['join:b']);
    }
  });
});

describe('RoomStore when the store lost a room', () => {
  it('after a BaselineMissing refusal the next poll commits a fresh baseline, not a diff', async () => {
    const state = new MemoryStore(retention);
    const commits: PollCommit[] = [];
    const commit = state.commitPoll.bind(state);
    let refuse = false;
    state.commitPoll = (c, fence) => {
      commits.push(c);
      if (refuse) {
        refuse = false;
        return Promise.reject(new StateWriteError('lost', BASELINE_MISSING_CODE));
      }
      return commit(c, fence);
    };
    const s = store(state);
    await s.applySuccess(ref, snap(['a']), 1000);
    refuse = true;
    await expect(s.applySuccess(ref, snap(['a', 'b']), 2000)).rejects.toBeInstanceOf(StateWriteError);
    const { events } = await s.applySuccess(ref, snap(['a', 'b', 'c']), 3000);
    expect(events).toEqual([]);
    expect(commits[2]!.baseline).toEqual({ visible: ['a', 'b', 'c'], invisible: [] });
    expect(commits[1]!.baseline).toBeUndefined();
  });
});
