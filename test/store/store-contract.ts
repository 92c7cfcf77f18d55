import { Members } from '../../src/rooms/membership-diff';
import { roomKey } from '../../src/rooms/room-event';
import type { NewEvent, PollCommit, StateStore } from '../../src/store/store';

/**
 * The one contract every StateStore backend passes (memory, SQLite; a later Redis backend runs the same
 * function). `make` builds a fresh, empty store with the given retention and clock; `reopen`, when the
 * backend is durable, closes it and opens the same data again.
 */
export interface ContractHarness {
  make(opts: { maxEvents: number; maxAgeSeconds: number; now: () => number }): Promise<StateStore>;
  reopen?(store: StateStore): Promise<StateStore>;
}

const ev = (userId: string, type: NewEvent['type'] = 'join', roomId = 'r1'): NewEvent => ({
  time: '2026-01-01T00:00:00.000Z',
  type,
  appId: 'app',
  roomId,
  userId,
  visibility: 'visible',
  source: 'poll',
});

function baseline(visible: string[], invisible: string[] = [], roomId = 'r1'): PollCommit {
  return { appId: 'app', roomId, exists: true, totalUsers: visible.length + invisible.length, totalInvisibleUsers: invisible.length, lastSuccessMs: 1000, baseline: { visible, invisible }, changes: [], events: [] };
}

export function storeContract(name: string, h: ContractHarness): void {
  describe(`StateStore contract: ${name}`, () => {
    let now = 1_000_000;
    const clock = (): number => now;
    const stores: StateStore[] = [];
    const make = async (maxEvents = 1000, maxAgeSeconds = 3600): Promise<StateStore> => {
      const s = await h.make({ maxEvents, maxAgeSeconds, now: clock });
      stores.push(s);
      return s;
    };
    afterEach(async () => {
      for (const s of stores.splice(0)) await s.close();
    });

    test('a fresh store has no rooms, no events and last id 0', async () => {
      const s = await make();
      expect(await s.loadRooms()).toEqual([]);
      expect(await s.lastEventId()).toBe(0);
      expect(await s.readEvents(0, 10)).toEqual([]);
      expect(await s.getCursor('file')).toBeUndefined();
    });

    test('commits a baseline, then only the changes; loadRooms returns the applied membership', async () => {
      let s = await make();
      await s.commitPoll(baseline(['a', 'b'], ['c']));
      const members = Members.of(['a', 'b'], ['c']);
      const changes = members.diff(['b', 'c', 'd'], []);
      members.apply(changes);
      const committed = await s.commitPoll({ appId: 'app', roomId: 'r1', exists: true, totalUsers: 3, totalInvisibleUsers: 0, lastSuccessMs: 2000, changes, events: changes.map((c) => ev(c.userId, c.type)) });
      expect(committed.map((e) => e.userId)).toEqual(changes.map((c) => c.userId));
      if (h.reopen) s = await h.reopen(s);
      stores.push(s);
      const [room] = await s.loadRooms();
      expect(room).toMatchObject({ appId: 'app', roomId: 'r1', exists: true, totalUsers: 3, totalInvisibleUsers: 0, lastSuccessMs: 2000 });
      expect(new Set(room!.visible)).toEqual(new Set(['b', 'c', 'd']));
      expect(new Set(room!.visible)).toEqual(new Set(members.visible()));
      expect(room!.invisible).toEqual([]);
    });

    test('a new baseline replaces the stored membership', async () => {
      const s = await make();
      await s.commitPoll(baseline(['a', 'b']));
      await s.commitPoll(baseline(['z'], ['y']));
      const [room] = await s.loadRooms();
      expect(room!.visible).toEqual(['z']);
      expect(room!.invisible).toEqual(['y']);
    });

    test('ids are positive, strictly increasing across commits and rooms, and readEvents pages by id', async () => {
      const s = await make();
      const a = await s.commitPoll({ ...baseline([]), baseline: undefined, events: [ev('a'), ev('b')] });
      const b = await s.commitPoll({ ...baseline([], [], 'r2'), baseline: undefined, events: [ev('c', 'join', 'r2')] });
      const ids = [...a, ...b].map((e) => e.id);
      expect(ids[0]).toBeGreaterThan(0);
      for (let i = 1; i < ids.length; i++) expect(ids[i]).toBeGreaterThan(ids[i - 1]!);
      expect(await s.lastEventId()).toBe(ids[2]);
      expect(await s.readEvents(0, 10)).toEqual([...a, ...b]);
      expect(await s.readEvents(ids[0]!, 1)).toEqual([a[1]]);
      expect(await s.readEvents(ids[2]!, 10)).toEqual([]);
      expect(a[0]).toEqual({ id: ids[0], ...ev('a') });
    });

    test('notifies listeners with the last committed id; unsubscribe stops it; a throwing listener is harmless', async () => {
      const s = await make();
      const seen: number[] = [];
      s.onCommitted(() => {
        throw new Error('listener bug');
      });
      const off = s.onCommitted((id) => seen.push(id));
      const c = await s.commitPoll({ ...baseline([]), baseline: undefined, events: [ev('a'), ev('b')] });
      await s.commitPoll({ ...baseline([]), baseline: undefined, events: [] });
      off();
      await s.commitPoll({ ...baseline([]), baseline: undefined, events: [ev('c')] });
      expect(seen).toEqual([c[1]!.id]);
    });

    test('cursors are stored per name', async () => {
      let s = await make();
      await s.setCursor('file', 5);
      await s.setCursor('webhook', 2);
      await s.setCursor('file', 7);
      if (h.reopen) s = await h.reopen(s);
      stores.push(s);
      expect(await s.getCursor('file')).toBe(7);
      expect(await s.getCursor('webhook')).toBe(2);
    });

    test('retention drops the oldest events by count and by age; ids are never reused', async () => {
      const s = await make(3, 60);
      for (const u of ['a', 'b', 'c', 'd', 'e']) await s.commitPoll({ ...baseline([]), baseline: undefined, events: [ev(u)] });
      expect(await s.prune(now)).toBe(2);
      expect((await s.readEvents(0, 10)).map((e) => e.userId)).toEqual(['c', 'd', 'e']);
      now += 61_000;
      const [f] = await s.commitPoll({ ...baseline([]), baseline: undefined, events: [ev('f')] });
      await s.prune(now);
      expect((await s.readEvents(0, 10)).map((e) => e.userId)).toEqual(['f']);
      expect(f!.id).toBe(6);
      expect(await s.lastEventId()).toBe(6);
    });

    test('continueIdsAfter makes the next ids larger, and never lowers them', async () => {
      const s = await make();
      await s.continueIdsAfter(41);
      const [a] = await s.commitPoll({ ...baseline([]), baseline: undefined, events: [ev('a')] });
      expect(a!.id).toBe(42);
      await s.continueIdsAfter(10);
      const [b] = await s.commitPoll({ ...baseline([]), baseline: undefined, events: [ev('b')] });
      expect(b!.id).toBe(43);
      expect(await s.lastEventId()).toBe(43);
      expect((await s.readEvents(0, 10)).map((e) => e.id)).toEqual([42, 43]);
    });

    test('retainRooms forgets rooms that are not kept', async () => {
      const s = await make();
      await s.commitPoll(baseline(['a']));
      await s.commitPoll(baseline(['b'], [], 'r2'));
      await s.retainRooms(new Set([roomKey('app', 'r2')]));
      expect((await s.loadRooms()).map((r) => r.roomId)).toEqual(['r2']);
    });

    test('an event keeps its source, and callback ids are remembered until pruned', async () => {
      let s = await make();
      await s.commitPoll(baseline(['a']));
      const [e] = await s.commitPoll({ ...baseline([]), baseline: undefined, lastSuccessMs: undefined, changes: [{ type: 'join', userId: 'b', visibility: 'visible' }], events: [{ ...ev('b'), source: 'callback' }], callbackIds: ['cb-1', 'cb-2'] });
      expect(e!.source).toBe('callback');
      now += 10_000;
      await s.commitPoll({ ...baseline([]), baseline: undefined, changes: [], events: [], callbackIds: ['cb-3'] });
      if (h.reopen) s = await h.reopen(s);
      stores.push(s);
      expect((await s.readEvents(0, 10)).map((x) => x.source)).toEqual(['callback']);
      expect((await s.recentCallbackIds(0)).sort()).toEqual(['cb-1', 'cb-2', 'cb-3']);
      expect(await s.recentCallbackIds(now)).toEqual(['cb-3']);
      // A callback's commit to a room that was polled keeps the poll's time.
      const [room] = await s.loadRooms();
      expect(room!.lastSuccessMs).toBe(1000);
      now += 3_600_000 - 5_000;
      await s.prune(now);
      expect(await s.recentCallbackIds(0)).toEqual(['cb-3']);
    });
  });
}
