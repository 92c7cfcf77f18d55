import { AbortError } from '../../src/clock';
import { RoomRegistry } from '../../src/discovery/room-registry';
import { PollCycle } from '../../src/polling/poll-cycle';
import type { RoomPoller } from '../../src/polling/room-poller';
import type { Permit } from '../../src/ratelimit/limiter';
import { MemoryStore } from '../../src/store/memory-store';
import { RoomStore } from '../../src/store/room-store';
import { snapshot } from '../fakes/fake-api';
import { FakeClock } from '../fakes/fake-clock';
import { memoryLogger } from '../fakes/recorders';

/** A poller that records which account polled what and answers from a map of room → exists. */
function stubPoller(account: string, store: RoomStore, calls: string[], gone: Set<string>): RoomPoller {
  return {
    nextPermit: async () => ({ waitedMs: 0, start: async () => undefined, holds: () => true }),
    poll: async (ref: { appId: string; roomId: string }) => {
      calls.push(`${account}:${ref.roomId}`);
      const exists = !gone.has(ref.roomId);
      await store.applySuccess(ref, exists ? snapshot(['u1']) : { exists: false, totalUsers: 0, totalInvisibleUsers: 0, visible: [], invisible: [] }, 0);
      return true;
    },
    forget: () => undefined,
  } as unknown as RoomPoller;
}

describe('PollCycle', () => {
  function setup() {
    const clock = new FakeClock(1_000_000);
    const registry = new RoomRegistry(5000);
    const store = new RoomStore(new MemoryStore({ maxEvents: 1000, maxAgeSeconds: 3600 }), () => 1);
    const calls: string[] = [];
    const gone = new Set<string>();
    const pollers = new Map([
      ['volc', stubPoller('volc', store, calls, gone)],
      ['bp', stubPoller('bp', store, calls, gone)],
    ]);
    const cycle = new PollCycle({ registry, store, pollerOf: (a) => pollers.get(a), pollers: () => pollers.values(), clock, logger: memoryLogger().logger });
    return { clock, registry, store, calls, gone, cycle };
  }

  it('polls each active room through its own account, and syncs the store to the exported set', async () => {
    const t = setup();
    t.registry.replace('static', 'static', [{ appId: 'a', roomId: 'fixed', account: 'volc' }], 0);
    t.registry.callLive({ appId: 'b', roomId: 'found', account: 'bp' }, 0);
    expect(await t.cycle.run(new AbortController().signal)).toBe(2);
    expect(t.calls.sort()).toEqual(['bp:found', 'volc:fixed']);
    expect([...t.store.views()].map((v) => v.roomId).sort()).toEqual(['fixed', 'found']);
  });

  it('stops polling a discovered room after RoomExists false, keeps its series for the retire delay, then drops them', async () => {
    const t = setup();
    t.registry.callLive({ appId: 'b', roomId: 'found', account: 'bp' }, 0);
    await t.cycle.run(new AbortController().signal);
    t.gone.add('found');
    await t.cycle.run(new AbortController().signal);
    expect(t.calls).toEqual(['bp:found', 'bp:found']);
    await t.clock.advance(1000);
    expect(await t.cycle.run(new AbortController().signal)).toBe(0);
    expect(t.calls).toHaveLength(2);
    expect(t.store.get('b', 'found')?.exists).toBe(false);
    await t.clock.advance(5000);
    await t.cycle.run(new AbortController().signal);
    expect(t.store.get('b', 'found')).toBeUndefined();
  });
});

describe('PollCycle order', () => {
  it('polls rooms never polled before the ones it knows', async () => {
    const clock = new FakeClock(0);
    const registry = new RoomRegistry(0);
    const store = new RoomStore(new MemoryStore({ maxEvents: 1000, maxAgeSeconds: 3600 }), () => 1);
    const calls: string[] = [];
    const poller = stubPoller('a', store, calls, new Set());
    const cycle = new PollCycle({ registry, store, pollerOf: () => poller, pollers: () => [poller], clock, logger: memoryLogger().logger });
    registry.replace('static', 'static', [{ appId: 'x', roomId: 'old', account: 'a' }], 0);
    await cycle.run(new AbortController().signal);
    registry.callLive({ appId: 'x', roomId: 'new', account: 'a' }, 0);
    calls.length = 0;
    await cycle.run(new AbortController().signal);
    expect(calls).toEqual(['a:new', 'a:old']);
  });
});

describe('PollCycle lanes', () => {
  /** A poller whose permits the test grants one by one, recording what waits and what was polled with which permit. */
  function gatedPoller(store: RoomStore) {
    const asked: ((p: Permit) => void)[] = [];
    const polled: { roomId: string; permit?: Permit }[] = [];
    const poller = {
      nextPermit: () => new Promise<Permit>((resolve) => asked.push(resolve)),
      poll: async (ref: { appId: string; roomId: string }, _signal: AbortSignal, opts: { permit?: Permit } = {}) => {
        polled.push({ roomId: ref.roomId, permit: opts.permit });
        await store.applySuccess(ref, snapshot(['u1']), 0);
        return true;
      },
      forget: () => undefined,
    } as unknown as RoomPoller;
    return { poller, asked, polled };
  }

  it('asks for one permit at a time and starts each room with the permit granted for it, in order', async () => {
    const clock = new FakeClock(0);
    const registry = new RoomRegistry(0);
    const store = new RoomStore(new MemoryStore({ maxEvents: 1000, maxAgeSeconds: 3600 }), () => 1);
    const g = gatedPoller(store);
    const cycle = new PollCycle({ registry, store, pollerOf: () => g.poller, pollers: () => [g.poller], clock, logger: memoryLogger().logger });
    registry.replace('static', 'static', ['r1', 'r2', 'r3'].map((roomId) => ({ appId: 'x', roomId, account: 'a' })), 0);
    const done = cycle.run(new AbortController().signal);
    const flush = () => new Promise((r) => setImmediate(r));
    await flush();
    expect(g.asked).toHaveLength(1); // the other rooms wait as positions, not as permit requests
    expect(g.polled).toHaveLength(0);
    const start = async () => undefined;
    for (let i = 0; i < 3; i++) {
      await clock.advance(100);
      g.asked[i]!({ waitedMs: 5, start, holds: () => true });
      await flush();
      expect(g.polled.map((p) => p.roomId)).toEqual(['r1', 'r2', 'r3'].slice(0, i + 1));
      expect(g.asked).toHaveLength(Math.min(i + 2, 3));
    }
    expect(await done).toBe(3);
    // Each poll got its grant (the same start), and its wait counts from the cycle's start: 100, 200, 300 ms.
    expect(g.polled.map((p) => p.permit?.start)).toEqual([start, start, start]);
    expect(g.polled.map((p) => p.permit?.waitedMs)).toEqual([100, 200, 300]);
  });

  it('stops asking when the limiter closes at shutdown, and still settles the polls already started', async () => {
    const clock = new FakeClock(0);
    const registry = new RoomRegistry(0);
    const store = new RoomStore(new MemoryStore({ maxEvents: 1000, maxAgeSeconds: 3600 }), () => 1);
    const calls: string[] = [];
    let permits = 0;
    const poller = {
      ...stubPoller('a', store, calls, new Set()),
      nextPermit: async () => {
        if (++permits > 1) throw new AbortError('limiter closed');
        return { waitedMs: 0, start: async () => undefined, holds: () => true };
      },
    } as unknown as RoomPoller;
    const cycle = new PollCycle({ registry, store, pollerOf: () => poller, pollers: () => [poller], clock, logger: memoryLogger().logger });
    registry.replace('static', 'static', ['r1', 'r2', 'r3'].map((roomId) => ({ appId: 'x', roomId, account: 'a' })), 0);
    expect(await cycle.run(new AbortController().signal)).toBe(3);
    expect(calls).toEqual(['a:r1']);
  });
});
