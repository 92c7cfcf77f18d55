import { monotonicClock, systemClock } from '../../src/clock';
import { parseConfig } from '../../src/config/load';
import { Daemon } from '../../src/daemon';
import type { Ticker } from '../../src/scheduler/ticker';
import { Metrics } from '../../src/sinks/metrics';
import { MemoryStore } from '../../src/store/memory-store';
import { leaderFence } from '../../src/cluster/leadership';
import { FakeApi, snapshot } from '../fakes/fake-api';
import { ManualLeadership } from '../fakes/manual-leadership';
import { memoryLogger, RecordingSink } from '../fakes/recorders';
import { waitFor } from '../support/wait-for';

/** The daemon with a leadership it does not know the kind of: it polls only while told it leads. */

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

describe('Daemon with a Leadership capability', () => {
  it('polls only as the leader, at once on taking over; a standby is ready; shutdown hands the lease back', async () => {
    const config = parseConfig('server: {host: 127.0.0.1, port: 0}\nrooms: [{appId: a, roomId: r1}, {appId: a, roomId: r2}]');
    const api = new FakeApi().script('r1', snapshot(['u1'])).script('r2', snapshot(['u2']));
    const leadership = new ManualLeadership(5);
    const ticker = new ManualTicker();
    const metrics = new Metrics({ rooms: () => daemon.store.views(), roomCount: () => 2, rates: () => [], pollIntervalSeconds: () => 15, version: 't' });
    const daemon: Daemon = new Daemon(config, {
      logger: memoryLogger().logger,
      clock: systemClock,
      monotonic: monotonicClock,
      metrics,
      sink: new RecordingSink(),
      makeApi: () => Object.assign(api, { listRoomInfo: () => Promise.reject(new Error('no discovery in this test')) }),
      discoveryObserver: { request: () => undefined, passSucceeded: () => undefined, targetRemoved: () => undefined, rangeSplit: () => undefined },
      state: new MemoryStore({ maxEvents: 100, maxAgeSeconds: 3600 }),
      makeTicker: () => ticker,
      loadConfig: () => config,
      closeSinks: async () => undefined,
      version: 't',
      leadership,
    });
    await daemon.start();
    expect(leadership.started).toBe(true);
    ticker.fire();
    await new Promise((r) => setImmediate(r));
    expect(api.calls).toEqual([]); // role unknown: no poll, not ready
    expect(daemon.isReady()).toBe(false);

    leadership.set('standby');
    ticker.fire();
    await new Promise((r) => setImmediate(r));
    expect(api.calls).toEqual([]);
    expect(daemon.isReady()).toBe(true);

    leadership.set('leader'); // no tick needed: a new leader polls at once
    await waitFor('both rooms polled', () => (api.calls.length === 2 ? true : undefined), { timeoutMs: 5000, intervalMs: 10 });

    leadership.set('standby');
    ticker.fire();
    await new Promise((r) => setTimeout(r, 50));
    expect(api.calls).toHaveLength(2);

    await daemon.shutdown();
    expect(leadership.stopped).toBe(true);
  });

  it('two replicas on one store: the new leader continues from what the old one committed, and commits carry its token', async () => {
    const config = parseConfig('server: {host: 127.0.0.1, port: 0}\nrooms: [{appId: a, roomId: r1}]');
    const shared = new MemoryStore({ maxEvents: 100, maxAgeSeconds: 3600 });
    const fences: unknown[] = [];
    const commit = shared.commitPoll.bind(shared);
    shared.commitPoll = (c, fence) => {
      fences.push(fence);
      return commit(c, fence);
    };
    const replica = (api: FakeApi): { daemon: Daemon; leadership: ManualLeadership; sink: RecordingSink; ticker: ManualTicker } => {
      const leadership = new ManualLeadership(5);
      const ticker = new ManualTicker();
      const sink = new RecordingSink();
      const metrics = new Metrics({ rooms: () => [], roomCount: () => 1, rates: () => [], pollIntervalSeconds: () => 15, version: 't' });
      const daemon = new Daemon(config, {
        logger: memoryLogger().logger,
        clock: systemClock,
        monotonic: monotonicClock,
        metrics,
        sink,
        makeApi: () => Object.assign(api, { listRoomInfo: () => Promise.reject(new Error('no discovery in this test')) }),
        discoveryObserver: { request: () => undefined, passSucceeded: () => undefined, targetRemoved: () => undefined, rangeSplit: () => undefined },
        state: shared,
        makeTicker: () => ticker,
        loadConfig: () => config,
        closeSinks: async () => undefined,
        version: 't',
        leadership,
      });
      return { daemon, leadership, sink, ticker };
    };
    const apiA = new FakeApi().script('r1', snapshot(['u1']), snapshot(['u1', 'u2']));
    const apiB = new FakeApi().script('r1', snapshot(['u2', 'u3']));
    const a = replica(apiA);
    const b = replica(apiB);
    await a.daemon.start();
    await b.daemon.start(); // b reads the (empty) store now: its view goes stale while a leads
    b.leadership.set('standby');
    a.leadership.set('leader');
    await waitFor('a: baseline', () => (apiA.calls.length === 1 ? true : undefined), { timeoutMs: 5000, intervalMs: 10 });
    a.ticker.fire();
    await waitFor('a: join u2', () => (a.sink.events.length === 1 ? true : undefined), { timeoutMs: 5000, intervalMs: 10 });

    a.leadership.set('standby');
    b.leadership.set('leader');
    await waitFor('b: first poll', () => (b.sink.events.length > 0 ? true : undefined), { timeoutMs: 5000, intervalMs: 10 });
    expect(b.sink.events.map((e) => `${e.type}:${e.userId}`).sort()).toEqual(['join:u3', 'leave:u1']);
    expect(fences.every((f) => f === 5)).toBe(true);
    await a.daemon.shutdown();
    await b.daemon.shutdown();
  });

  it('defect 7: a replica with its own store that leads again starts from an empty baseline: no repeated join', async () => {
    const config = parseConfig('server: {host: 127.0.0.1, port: 0}\nrooms: [{appId: a, roomId: r1}]');
    // A leads with {u1}; while it is paused B reports join u2; A leads again and finds {u1, u2}.
    const api = new FakeApi().script('r1', snapshot(['u1']), snapshot(['u1', 'u2']), snapshot(['u1', 'u2']));
    const leadership = new ManualLeadership(5);
    const ticker = new ManualTicker();
    const sink = new RecordingSink();
    const metrics = new Metrics({ rooms: () => [], roomCount: () => 1, rates: () => [], pollIntervalSeconds: () => 15, version: 't' });
    const daemon = new Daemon(config, {
      logger: memoryLogger().logger,
      clock: systemClock,
      monotonic: monotonicClock,
      metrics,
      sink,
      makeApi: () => Object.assign(api, { listRoomInfo: () => Promise.reject(new Error('no discovery in this test')) }),
      discoveryObserver: { request: () => undefined, passSucceeded: () => undefined, targetRemoved: () => undefined, rangeSplit: () => undefined },
      state: new MemoryStore({ maxEvents: 100, maxAgeSeconds: 3600 }, Date.now, leaderFence(leadership)),
      makeTicker: () => ticker,
      loadConfig: () => config,
      closeSinks: async () => undefined,
      version: 't',
      leadership,
      leaderBaseline: 'empty',
    });
    await daemon.start();
    try {
    leadership.set('leader');
    await waitFor('A: baseline {u1}', () => (api.calls.length === 1 ? true : undefined), { timeoutMs: 5000, intervalMs: 10 });
    leadership.set('standby');
    leadership.set('leader');
    await waitFor('A: polled again as leader', () => (api.calls.length === 2 ? true : undefined), { timeoutMs: 5000, intervalMs: 10 });
    await new Promise((r) => setTimeout(r, 50));
    ticker.fire(); // and a later poll with no change reports nothing either
    await waitFor('A: third poll', () => (api.calls.length === 3 ? true : undefined), { timeoutMs: 5000, intervalMs: 10 });
    await new Promise((r) => setTimeout(r, 50));
    expect(sink.events.map((e) => `${e.type}:${e.userId}`)).toEqual([]);
    } finally {
      await daemon.shutdown();
    }
  });
});
