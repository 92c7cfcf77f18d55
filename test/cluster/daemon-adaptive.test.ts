import { monotonicClock, systemClock } from '../../src/clock';
import { parseConfig } from '../../src/config/load';
import { Daemon } from '../../src/daemon';
import { Metrics } from '../../src/sinks/metrics';
import { MemoryStore } from '../../src/store/memory-store';
import { FakeApi, snapshot } from '../fakes/fake-api';
import { ManualLeadership } from '../fakes/manual-leadership';
import { memoryLogger, RecordingSink } from '../fakes/recorders';
import { waitFor } from '../support/wait-for';

function daemonWith(yaml: string, next?: string) {
  const config = parseConfig(`server: {host: 127.0.0.1, port: 0}\n${yaml}`);
  const log = memoryLogger();
  const api = new FakeApi().script('r1', snapshot(['u1'])).script('r2', snapshot(['u2'])).script('r3', snapshot(['u3']));
  const leadership = new ManualLeadership();
  const metrics = new Metrics({ rooms: () => daemon.store.views(), roomCount: () => 3, rates: () => [], pollIntervalSeconds: () => 15, version: 't' });
  const daemon: Daemon = new Daemon(config, {
    logger: log.logger,
    clock: systemClock,
    monotonic: monotonicClock,
    metrics,
    sink: new RecordingSink(),
    makeApi: () => Object.assign(api, { listRoomInfo: () => Promise.reject(new Error('no discovery in this test')) }),
    discoveryObserver: { request: () => undefined, passSucceeded: () => undefined, targetRemoved: () => undefined, rangeSplit: () => undefined },
    state: new MemoryStore({ maxEvents: 100, maxAgeSeconds: 3600 }),
    // No ticks: under adaptive the schedule only sets the period (and round-robin is not started here).
    makeTicker: () => ({ start: () => undefined, stop: () => undefined }),
    loadConfig: () => (next === undefined ? config : parseConfig(`server: {host: 127.0.0.1, port: 0}\n${next}`)),
    closeSinks: async () => undefined,
    version: 't',
    leadership,
  });
  return { daemon, api, leadership, metrics, log };
}

describe('Daemon with polling.strategy adaptive', () => {
  it('polls through the pump only as the leader, is ready after the first sweep, and reports each room\'s plan', async () => {
    const t = daemonWith('schedule: "0 * * * * *"\npolling: {strategy: adaptive}\nrooms: [{appId: a, roomId: r1}, {appId: a, roomId: r2}, {appId: a, roomId: r3}]');
    await t.daemon.start();
    expect(t.daemon.strategy()).toBe('adaptive');
    await new Promise((r) => setTimeout(r, 50));
    expect(t.api.calls).toEqual([]); // role unknown: no poll
    t.leadership.set('leader');
    await waitFor('every room polled', () => (t.api.calls.length === 3 ? true : undefined), { timeoutMs: 5000, intervalMs: 10 });
    await waitFor('ready after the first sweep', () => (t.daemon.isReady() ? true : undefined), { timeoutMs: 5000, intervalMs: 10 });
    expect(t.metrics.cycleSummary().completed).toBe(1);
    // 3 rooms fit in one 60 s period at qps 30: every room every period, as round-robin.
    expect(t.daemon.roomPlan('a', 'r1')).toEqual({ intervalSeconds: 60, changesPerSecond: 0 });
    expect(t.daemon.roomPlan('a', 'nope')).toBeUndefined();
    await t.daemon.shutdown();
  });

  it('under round-robin reports the account\'s interval for every room and no change rate', async () => {
    const t = daemonWith('rateLimit: {qps: 1}\nschedule: "*/1 * * * * *"\nrooms: [{appId: a, roomId: r1}, {appId: a, roomId: r2}, {appId: a, roomId: r3}]');
    expect(t.daemon.strategy()).toBe('round-robin');
    // 3 rooms at 1 qps: 3 s, more than the 1 s period.
    expect(t.daemon.roomPlan('a', 'r2')).toEqual({ intervalSeconds: 3 });
    expect(t.daemon.roomPlan('a', 'nope')).toBeUndefined();
  });

  it('keeps the strategy in force on reload and says the change needs a restart; the bound is reloaded', async () => {
    const rooms = 'rooms: [{appId: a, roomId: r1}]';
    const t = daemonWith(`polling: {strategy: adaptive}\n${rooms}`, `polling: {strategy: round-robin, maxIntervalSeconds: 100}\n${rooms}`);
    expect(await t.daemon.reload()).toBeUndefined();
    expect(t.daemon.strategy()).toBe('adaptive');
    expect(t.daemon.currentConfig().polling.maxIntervalSeconds).toBe(100);
    const warning = t.log.lines().find((l) => l.msg === 'these config sections change only on restart');
    expect(warning?.keys).toEqual(['polling.strategy']);
  });
});
