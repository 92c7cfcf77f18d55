import { monotonicClock, systemClock } from '../../src/clock';
import { parseConfig } from '../../src/config/load';
import type { Config } from '../../src/config/schema';
import { Daemon } from '../../src/daemon';
import type { Ticker } from '../../src/scheduler/ticker';
import { Metrics } from '../../src/sinks/metrics';
import { MemoryStore } from '../../src/store/memory-store';
import type { RoomRef } from '../../src/volc/client';
import { snapshot } from '../fakes/fake-api';
import { memoryLogger, RecordingSink } from '../fakes/recorders';
import { waitFor } from '../support/wait-for';

/**
 * A reload that moves a room to another account: from the next cycle on the room is polled with that
 * account's key (and endpoint and limiter), and its membership carries over (no events from the move).
 */

class ManualTicker implements Ticker {
  private onTick?: () => void;
  start(onTick: () => void): void {
    this.onTick = onTick;
  }
  stop(): void {
    this.onTick = undefined;
  }
  fire(): void {
    this.onTick?.();
  }
}

const ACCOUNTS = `
server: {host: 127.0.0.1, port: 0}
accounts:
  - {name: cn, accessKeyEnv: CN_AK, secretKeyEnv: CN_SK}
  - {name: eu, accessKeyEnv: EU_AK, secretKeyEnv: EU_SK, api: {endpoint: "https://open.byteplusapi.com"}}
`;

describe('a reload that moves a room to another account', () => {
  it('polls the room with the new account from the next cycle, without events', async () => {
    let config = parseConfig(`${ACCOUNTS}rooms: [{appId: a, roomId: r1, account: cn}, {appId: a, roomId: r2, account: cn}]`);
    /** Every request as (access key variable, endpoint, room): what the vendor would see. */
    const sent: { key: string; endpoint: string; room: string }[] = [];
    const ticker = new ManualTicker();
    const sink = new RecordingSink();
    const metrics = new Metrics({ rooms: () => [], roomCount: () => 2, rates: () => [], pollIntervalSeconds: () => 15, version: 't' });
    const daemon = new Daemon(config, {
      logger: memoryLogger().logger,
      clock: systemClock,
      monotonic: monotonicClock,
      metrics,
      sink,
      makeApi: (account) => ({
        getRoomOnlineUsers: async (room: RoomRef) => {
          sent.push({ key: account.accessKeyEnv, endpoint: account.api.endpoint, room: room.roomId });
          return snapshot(room.roomId === 'r1' ? ['u1', 'u2'] : ['u3']);
        },
        listRoomInfo: () => Promise.reject(new Error('no discovery in this test')),
      }),
      discoveryObserver: { request: () => undefined, passSucceeded: () => undefined, targetRemoved: () => undefined, rangeSplit: () => undefined },
      state: new MemoryStore({ maxEvents: 100, maxAgeSeconds: 3600 }),
      makeTicker: () => ticker,
      loadConfig: (): Config => config,
      closeSinks: async () => undefined,
      version: 't',
    });
    await daemon.start();
    try {
      await waitFor('the first cycle', () => (daemon.isReady() ? true : undefined), { timeoutMs: 5000, intervalMs: 5 });
      expect(sent.map((s) => `${s.key} ${s.room}`).sort()).toEqual(['CN_AK r1', 'CN_AK r2']);
      const baselineEvents = sink.events.length;

      config = parseConfig(`${ACCOUNTS}rooms: [{appId: a, roomId: r1, account: eu}, {appId: a, roomId: r2, account: cn}]`);
      expect(await daemon.reload()).toBeUndefined();
      sent.length = 0;
      ticker.fire();
      await waitFor('the cycle after the reload', () => (sent.length === 2 ? true : undefined), { timeoutMs: 5000, intervalMs: 5 });
      await new Promise((r) => setTimeout(r, 20));
      expect(sent.sort((x, y) => x.room.localeCompare(y.room))).toEqual([
        { key: 'EU_AK', endpoint: 'https://open.byteplusapi.com', room: 'r1' },
        { key: 'CN_AK', endpoint: 'https://rtc.volcengineapi.com', room: 'r2' },
      ]);
      expect(daemon.registry.get('a', 'r1')?.account).toBe('eu');
      // Same room, same members: moving it is not a change of membership.
      expect(sink.events.length).toBe(baselineEvents);
    } finally {
      await daemon.shutdown();
    }
  });
});
