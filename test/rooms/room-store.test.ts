import { RoomStore } from '../../src/rooms/room-store';
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

function store(): RoomStore {
  const s = new RoomStore();
  s.setRooms([{ ...ref, capacity: 10 }]);
  return s;
}

describe('RoomStore', () => {
  it('treats the first successful poll as a baseline: no events, gauges set', () => {
    const s = store();
    expect(s.applySuccess(ref, snap(['a', 'b'], ['c']), 1000).events).toEqual([]);
    expect(s.get('app', 'r1')).toMatchObject({ totalUsers: 3, totalInvisibleUsers: 1, exists: true, up: true, lastSuccessMs: 1000, joins: 0 });
  });

  it('emits events with the contract fields and counts them', () => {
    const s = store();
    s.applySuccess(ref, snap(['a'], ['b']), 1000);
    const { events } = s.applySuccess(ref, snap(['b', 'c']), Date.UTC(2026, 0, 2, 3, 4, 5));
    expect(events).toEqual(
      expect.arrayContaining([
        { time: '2026-01-02T03:04:05.000Z', type: 'join', appId: 'app', roomId: 'r1', userId: 'c', visibility: 'visible' },
        { time: '2026-01-02T03:04:05.000Z', type: 'leave', appId: 'app', roomId: 'r1', userId: 'a', visibility: 'visible' },
        { time: '2026-01-02T03:04:05.000Z', type: 'visibility_change', appId: 'app', roomId: 'r1', userId: 'b', visibility: 'visible' },
      ]),
    );
    expect(events).toHaveLength(3);
    expect(s.get('app', 'r1')).toMatchObject({ joins: 1, leaves: 1, visibilityChanges: 1 });
  });

  it('changes nothing on a failed poll except the health', () => {
    const s = store();
    s.applySuccess(ref, snap(['a']), 1000);
    s.applyFailure(ref);
    expect(s.get('app', 'r1')).toMatchObject({ totalUsers: 1, lastSuccessMs: 1000, up: false, pollFailures: 1 });
    // The next success diffs against the last successful poll, not against nothing.
    expect(s.applySuccess(ref, snap(['a']), 3000).events).toEqual([]);
  });

  it('reports a leave for every member when the room stops existing, with gauges at 0', () => {
    const s = store();
    s.applySuccess(ref, snap(['a'], ['b']), 1000);
    const { events } = s.applySuccess(ref, gone, 2000);
    expect(events.map((e) => `${e.type}:${e.userId}:${e.visibility}`).sort()).toEqual(['leave:a:visible', 'leave:b:invisible']);
    expect(s.get('app', 'r1')).toMatchObject({ exists: false, totalUsers: 0, totalInvisibleUsers: 0 });
  });

  it('withholds invisible leaves while the invisible list is truncated, and flags it', () => {
    const s = store();
    s.applySuccess(ref, snap([], ['a', 'b']), 1000);
    const result = s.applySuccess(ref, snap([], ['c'], { totalInvisibleUsers: 3, totalUsers: 3 }), 2000);
    expect(result.events.map((e) => `${e.type}:${e.userId}`)).toEqual(['join:c']);
    expect(result.truncated).toBe(true);
    expect(s.get('app', 'r1')).toMatchObject({ invisibleTruncated: true, totalInvisibleUsers: 3 });
  });

  it('ignores polls of rooms removed by a reload and keeps the state of rooms that stay', () => {
    const s = store();
    s.applySuccess(ref, snap(['a']), 1000);
    s.setRooms([{ appId: 'app', roomId: 'r2' }, { ...ref }]);
    expect(s.get('app', 'r1')).toMatchObject({ totalUsers: 1, capacity: undefined });
    s.setRooms([{ appId: 'app', roomId: 'r2' }]);
    expect(s.applySuccess(ref, snap([]), 2000).events).toEqual([]);
    expect(s.get('app', 'r1')).toBeUndefined();
    expect([...s.views()].map((v) => v.roomId)).toEqual(['r2']);
  });

  it('restores saved membership as the baseline and skips rooms no longer configured', () => {
    const s = store();
    const restored = s.restore([
      { appId: 'app', roomId: 'r1', exists: true, totalUsers: 2, totalInvisibleUsers: 1, lastSuccessMs: 500, visible: ['a'], invisible: ['b'] },
      { appId: 'app', roomId: 'old', exists: true, totalUsers: 1, totalInvisibleUsers: 0, visible: ['x'], invisible: [] },
    ]);
    expect(restored).toBe(1);
    const { events } = s.applySuccess(ref, snap(['a', 'c']), 1000);
    expect(events.map((e) => `${e.type}:${e.userId}`).sort()).toEqual(['join:c', 'leave:b']);
    expect(s.save()).toEqual([
      { appId: 'app', roomId: 'r1', exists: true, totalUsers: 2, totalInvisibleUsers: 0, lastSuccessMs: 1000, visible: ['a', 'c'], invisible: [] },
    ]);
  });
});
