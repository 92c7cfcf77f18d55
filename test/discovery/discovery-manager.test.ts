import { parseConfig } from '../../src/config/load';
import { DiscoveryManager } from '../../src/discovery/discovery-manager';
import { RoomRegistry } from '../../src/discovery/room-registry';
import type { ListRoomInfoApi, ListRoomInfoQuery } from '../../src/volc/list-room-info';
import { FakeClock } from '../fakes/fake-clock';
import { memoryLogger } from '../fakes/recorders';

describe('DiscoveryManager', () => {
  it('starts a ListRoomInfo source per app, and on reload stops removed apps: their rooms retire and their series go', async () => {
    const clock = new FakeClock(Date.UTC(2026, 10, 30, 12));
    const registry = new RoomRegistry(60_000);
    const queries: ListRoomInfoQuery[] = [];
    const api: ListRoomInfoApi = {
      listRoomInfo: async (q) => {
        queries.push(q);
        return { total: 1, pageNum: 1, pageSize: 100, hasMore: false, calls: [{ callId: `${q.appId}-1`, roomId: `${q.appId}-room`, createdMs: clock.now() - 60_000, finished: false, activeUsers: 1 }] };
      },
    };
    const removed: string[] = [];
    const manager = new DiscoveryManager({
      registry,
      observer: { request: () => undefined, passSucceeded: () => undefined, rangeSplit: () => undefined, targetRemoved: (s, t) => removed.push(`${s} ${t}`) },
      clock,
      logger: memoryLogger().logger,
      account: () => ({ api, listLimiter: { acquire: async () => 0, permit: async () => ({ waitedMs: 0, start: async () => undefined, holds: () => true }) } }),
      configDir: '/nonexistent',
    });
    manager.apply(parseConfig('discovery: {listRoomInfo: {apps: ["a", "b"], intervalSeconds: 10, lookbackHours: 1}}'));
    await clock.advance(0);
    expect(registry.active().map((r) => r.roomId).sort()).toEqual(['a-room', 'b-room']);
    manager.apply(parseConfig('discovery: {listRoomInfo: {apps: ["b"], intervalSeconds: 10, lookbackHours: 1}}'));
    expect(registry.active().map((r) => r.roomId)).toEqual(['b-room']);
    expect(registry.get('a', 'a-room')?.retiredAtMs).toBe(clock.now());
    expect(removed).toEqual(['list_room_info a']);
    queries.length = 0;
    await clock.advance(10_000);
    expect(queries.map((q) => q.appId)).toEqual(['b']);
    await manager.stop();
    await clock.advance(60_000);
    expect(queries.map((q) => q.appId)).toEqual(['b']);
  });
});
