import { RoomRegistry } from '../../src/discovery/room-registry';
import { PollCycle } from '../../src/polling/poll-cycle';
import type { RoomPoller } from '../../src/polling/room-poller';
import { MemoryStore } from '../../src/store/memory-store';
import { RoomStore } from '../../src/store/room-store';
import { snapshot } from '../fakes/fake-api';
import { FakeClock } from '../fakes/fake-clock';
import { memoryLogger } from '../fakes/recorders';

/** A poller that records which account polled what and answers from a map of room → exists. */
function stubPoller(account: string, store: RoomStore, calls: string[], gone: Set<string>): RoomPoller {
  return {
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
