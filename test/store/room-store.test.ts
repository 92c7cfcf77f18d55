import { MemoryStore } from '../../src/store/memory-store';
import { RoomStore } from '../../src/store/room-store';
import type { PollCommit, StateStore } from '../../src/store/store';
import { StateWriteError } from '../../src/store/store';
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
  const s = new RoomStore(state);
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
        { id: expect.any(Number), time: '2026-01-02T03:04:05.000Z', type: 'join', appId: 'app', roomId: 'r1', userId: 'c', visibility: 'visible' },
        { id: expect.any(Number), time: '2026-01-02T03:04:05.000Z', type: 'leave', appId: 'app', roomId: 'r1', userId: 'a', visibility: 'visible' },
        { id: expect.any(Number), time: '2026-01-02T03:04:05.000Z', type: 'visibility_change', appId: 'app', roomId: 'r1', userId: 'b', visibility: 'visible' },
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

  it('loads committed membership as the baseline and skips rooms no longer configured', async () => {
    const state = new MemoryStore(retention);
    await state.commitPoll({ appId: 'app', roomId: 'r1', exists: true, totalUsers: 2, totalInvisibleUsers: 1, lastSuccessMs: 500, baseline: { visible: ['a'], invisible: ['b'] }, changes: [], events: [] });
    await state.commitPoll({ appId: 'app', roomId: 'old', exists: true, totalUsers: 1, totalInvisibleUsers: 0, lastSuccessMs: 500, baseline: { visible: ['x'], invisible: [] }, changes: [], events: [] });
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
    const spy: StateStore = Object.assign(Object.create(state) as StateStore, { commitPoll: (c: PollCommit) => (commits.push(c), state.commitPoll(c)) });
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
  });

  it('takes the full diff while the invisible list is truncated, even when the lists repeat', async () => {
    const s = store();
    await s.applySuccess(ref, snap(['v'], ['i1', 'i2']), 1000);
    // i2 unlisted but counted: held as undecided, no event.
    await s.applySuccess(ref, snap(['v'], ['i1'], { totalInvisibleUsers: 2, totalUsers: 3 }), 2000);
    expect([...s.get('app', 'r1')!.membership.invisible].sort()).toEqual(['i1', 'i2']);
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
      commitPoll: (c: PollCommit) => (fail ? Promise.reject(new StateWriteError('disk full', 'SQLITE_FULL')) : state.commitPoll(c)),
    });
    const s = store(flaky);
    await s.applySuccess(ref, snap(['a']), 1000);
    fail = true;
    await expect(s.applySuccess(ref, snap(['a', 'b']), 2000)).rejects.toBeInstanceOf(StateWriteError);
    expect(s.get('app', 'r1')).toMatchObject({ totalUsers: 1, lastSuccessMs: 1000, joins: 0 });
    fail = false;
    const { events } = await s.applySuccess(ref, snap(['a', 'b']), 3000);
    expect(events.map((e) => `${e.type}:${e.userId}`)).toEqual(['join:b']);
    expect(await state.readEvents(0, 10)).toEqual(events);
  });
});
