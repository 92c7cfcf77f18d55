import { Members } from '../../src/rooms/membership-diff';
import { roomKey } from '../../src/rooms/room-event';
import type { FenceCheck, NewEvent, PollCommit, StateStore } from '../../src/store/store';
import { StaleLeaderError } from '../../src/store/store';

/**
 * The one contract every StateStore backend passes (memory, SQLite, Redis). `make` builds a fresh, empty
 * store with the given retention and clock; `reopen`, when the backend is durable, closes it and opens the
 * same data again. `lead` says which fencing token is the current leader's for that store (undefined: the
 * lease is free); every store is fenced, so the suite writes with LEADER unless it tests the fence.
 */
export interface ContractHarness {
  make(opts: { maxEvents: number; maxAgeSeconds: number; now: () => number }): Promise<StateStore>;
  reopen?(store: StateStore): Promise<StateStore>;
  lead(store: StateStore, token: number | undefined): Promise<void>;
}

/** A local store's fence for the suite: the harness's `lead` sets the current token. */
export class TestLease implements FenceCheck {
  current: number | undefined;
  holds(token: number | undefined): boolean {
    return token !== undefined && token === this.current;
  }
}

/** The token the suite's writes carry (the current leader's). */
export const LEADER = 7;
const T = LEADER;

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
      await h.lead(s, LEADER);
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
      await s.commitPoll(baseline(['a', 'b'], ['c']), T);
      const members = Members.of(['a', 'b'], ['c']);
      const changes = members.diff(['b', 'c', 'd'], []);
      members.apply(changes);
      const committed = await s.commitPoll({ appId: 'app', roomId: 'r1', exists: true, totalUsers: 3, totalInvisibleUsers: 0, lastSuccessMs: 2000, changes, events: changes.map((c) => ev(c.userId, c.type)) }, T);
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
      await s.commitPoll(baseline(['a', 'b']), T);
      await s.commitPoll(baseline(['z'], ['y']), T);
      const [room] = await s.loadRooms();
      expect(room!.visible).toEqual(['z']);
      expect(room!.invisible).toEqual(['y']);
    });

    test('ids are positive, strictly increasing across commits and rooms, and readEvents pages by id', async () => {
      const s = await make();
      const a = await s.commitPoll({ ...baseline([]), baseline: undefined, events: [ev('a'), ev('b')] }, T);
      const b = await s.commitPoll({ ...baseline([], [], 'r2'), baseline: undefined, events: [ev('c', 'join', 'r2')] }, T);
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
      const c = await s.commitPoll({ ...baseline([]), baseline: undefined, events: [ev('a'), ev('b')] }, T);
      await s.commitPoll({ ...baseline([]), baseline: undefined, events: [] }, T);
      off();
      await s.commitPoll({ ...baseline([]), baseline: undefined, events: [ev('c')] }, T);
      expect(seen).toEqual([c[1]!.id]);
    });

    test('cursors are stored per name', async () => {
      let s = await make();
      await s.setCursor('file', 5, T);
      await s.setCursor('webhook', 2, T);
      await s.setCursor('file', 7, T);
      if (h.reopen) s = await h.reopen(s);
      stores.push(s);
      expect(await s.getCursor('file')).toBe(7);
      expect(await s.getCursor('webhook')).toBe(2);
    });

    test('retention drops the oldest events by count and by age; ids are never reused', async () => {
      const s = await make(3, 60);
      for (const u of ['a', 'b', 'c', 'd', 'e']) await s.commitPoll({ ...baseline([]), baseline: undefined, events: [ev(u)] }, T);
      expect(await s.prune(now, T)).toBe(2);
      expect((await s.readEvents(0, 10)).map((e) => e.userId)).toEqual(['c', 'd', 'e']);
      now += 61_000;
      const [f] = await s.commitPoll({ ...baseline([]), baseline: undefined, events: [ev('f')] }, T);
      await s.prune(now, T);
      expect((await s.readEvents(0, 10)).map((e) => e.userId)).toEqual(['f']);
      expect(f!.id).toBe(6);
      expect(await s.lastEventId()).toBe(6);
    });

    test('continueIdsAfter makes the next ids larger, and never lowers them', async () => {
      const s = await make();
      await s.continueIdsAfter(41, T);
      const [a] = await s.commitPoll({ ...baseline([]), baseline: undefined, events: [ev('a')] }, T);
      expect(a!.id).toBe(42);
      await s.continueIdsAfter(10, T);
      const [b] = await s.commitPoll({ ...baseline([]), baseline: undefined, events: [ev('b')] }, T);
      expect(b!.id).toBe(43);
      expect(await s.lastEventId()).toBe(43);
      expect((await s.readEvents(0, 10)).map((e) => e.id)).toEqual([42, 43]);
    });

    test('forgetRooms forgets exactly the rooms named', async () => {
      const s = await make();
      await s.commitPoll(baseline(['a']), T);
      await s.commitPoll(baseline(['b'], [], 'r2'), T);
      await s.forgetRooms([roomKey('app', 'r1'), roomKey('app', 'never-stored')], T);
      expect((await s.loadRooms()).map((r) => r.roomId)).toEqual(['r2']);
    });

    test('an event keeps its source, and callback ids are remembered until pruned', async () => {
      let s = await make();
      await s.commitPoll(baseline(['a']), T);
      const [e] = await s.commitPoll({ ...baseline([]), baseline: undefined, lastSuccessMs: undefined, changes: [{ type: 'join', userId: 'b', visibility: 'visible' }], events: [{ ...ev('b'), source: 'callback' }], callbackIds: ['cb-1', 'cb-2'] }, T);
      expect(e!.source).toBe('callback');
      now += 10_000;
      await s.commitPoll({ ...baseline([]), baseline: undefined, changes: [], events: [], callbackIds: ['cb-3'] }, T);
      if (h.reopen) s = await h.reopen(s);
      stores.push(s);
      expect((await s.readEvents(0, 10)).map((x) => x.source)).toEqual(['callback']);
      expect((await s.recentCallbackIds(0)).sort()).toEqual(['cb-1', 'cb-2', 'cb-3']);
      expect(await s.recentCallbackIds(now)).toEqual(['cb-3']);
      // A callback's commit to a room that was polled keeps the poll's time.
      const [room] = await s.loadRooms();
      expect(room!.lastSuccessMs).toBe(1000);
      now += 3_600_000 - 5_000;
      await s.prune(now, T);
      expect(await s.recentCallbackIds(0)).toEqual(['cb-3']);
    });

    describe('fencing: every mutation carries the leader\'s token and is refused without a current one', () => {
      const stale: [string, number | undefined, number | undefined][] = [
        ['a newer leader holds the lease', LEADER + 1, LEADER],
        ['nobody holds the lease', undefined, LEADER],
        ['the writer has no token (a standby)', LEADER, undefined],
      ];

      test.each(stale)('forgetRooms is refused when %s: the rooms stay', async (_why, holder, token) => {
        const s = await make();
        await s.commitPoll(baseline(['a']), T);
        await s.commitPoll(baseline(['b'], [], 'r2'), T);
        await h.lead(s, holder);
        await expect(s.forgetRooms([roomKey('app', 'r1'), roomKey('app', 'r2')], token)).rejects.toBeInstanceOf(StaleLeaderError);
        await h.lead(s, LEADER);
        expect((await s.loadRooms()).map((r) => r.roomId).sort()).toEqual(['r1', 'r2']);
      });

      test.each(stale)('commitPoll is refused when %s: nothing is written, no listener called', async (_why, holder, token) => {
        const s = await make();
        await s.commitPoll(baseline(['a']), T);
        const seen: number[] = [];
        s.onCommitted((id) => seen.push(id));
        await h.lead(s, holder);
        await expect(s.commitPoll({ ...baseline(['a', 'x']), baseline: undefined, events: [ev('x')] }, token)).rejects.toBeInstanceOf(StaleLeaderError);
        expect(await s.lastEventId()).toBe(0);
        expect((await s.loadRooms())[0]!.visible).toEqual(['a']);
        expect(seen).toEqual([]);
      });

      test.each(stale)('setCursor, continueIdsAfter and prune are refused when %s', async (_why, holder, token) => {
        const s = await make(1);
        await s.commitPoll({ ...baseline([]), baseline: undefined, events: [ev('a'), ev('b')] }, T);
        await s.setCursor('webhook', 1, T);
        await h.lead(s, holder);
        await expect(s.setCursor('webhook', 2, token)).rejects.toBeInstanceOf(StaleLeaderError);
        await expect(s.continueIdsAfter(100, token)).rejects.toBeInstanceOf(StaleLeaderError);
        await expect(s.prune(now, token)).rejects.toBeInstanceOf(StaleLeaderError);
        await h.lead(s, LEADER);
        expect(await s.getCursor('webhook')).toBe(1);
        expect((await s.readEvents(0, 10)).map((e) => e.userId)).toEqual(['a', 'b']);
        const [c] = await s.commitPoll({ ...baseline([]), baseline: undefined, events: [ev('c')] }, T);
        expect(c!.id).toBe(3);
      });

      test('a cursor never moves backwards', async () => {
        const s = await make();
        await s.setCursor('webhook', 9, T);
        await s.setCursor('webhook', 4, T);
        expect(await s.getCursor('webhook')).toBe(9);
        await s.setCursor('webhook', 12, T);
        expect(await s.getCursor('webhook')).toBe(12);
      });

      test('a new leader\'s token is accepted once it holds the lease; the old one is not', async () => {
        const s = await make();
        await h.lead(s, LEADER + 1);
        await s.commitPoll(baseline(['a']), LEADER + 1);
        await expect(s.commitPoll(baseline(['b']), LEADER)).rejects.toBeInstanceOf(StaleLeaderError);
        expect((await s.loadRooms())[0]!.visible).toEqual(['a']);
      });
    });
  });
}
