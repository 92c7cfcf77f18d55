import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Redis from 'ioredis';
import { Simulator } from '../../src/simulator';
import type { SimRoomSpec } from '../../src/simulator';
import { createRng } from '../../src/simulator/rng';
import { RunningDaemon, startDaemon } from '../support/daemon-process';
import { metricValue, reportsLeader } from '../support/served-oracle';
import { describeWithRequirements } from '../support/required-tools';
import { RedisProcess, redisServer } from '../support/redis-process';
import { LoggedEvent, lastServed, readEventsFile, replayRoom } from '../support/event-replay';
import { waitFor } from '../support/wait-for';

/**
 * One state and one event log across replicas (`state.backend: redis`): the leader is killed with
 * SIGKILL at random moments (and once paused with SIGSTOP past its lease), a standby takes over and
 * continues from the last committed poll. The Redis
 * stream must then replay as one consistent log ending at what the simulator served last, and the
 * replicas' events files together hold exactly that log.
 */

const credentials = { accessKeyId: 'AKLTshared', secretAccessKey: 'shared-secret-never-printed' };
const FAILOVER_S = 2;
const KILLS = 4;
const PREFIX = 'shared:';

const fileEvents = (file: string): LoggedEvent[] => readEventsFile<LoggedEvent>(file);

const isLeader = (d: RunningDaemon): Promise<boolean> => reportsLeader(d.url);

describeWithRequirements('cluster mode with the shared Redis store', [redisServer], () => {
  let dir: string;
  let redis: RedisProcess;
  let client: Redis;
  let sim: Simulator;
  const running: (RunningDaemon | undefined)[] = [];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rtc-cluster-store-'));
    redis = await RedisProcess.start();
    client = await redis.client();
  });
  afterEach(async () => {
    for (const d of running.splice(0)) await d?.stop();
    await sim?.stop();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`after ${KILLS} kill -9 of the leader the stream and the events files are one consistent log`, async () => {
    const rooms: SimRoomSpec[] = ['c1', 'c2', 'c3', 'c4'].map((roomId, i) => ({
      appId: 'app',
      roomId,
      visible: 5 + i,
      invisible: 2,
      churn: { joinsPerMinute: 180, leavesPerMinute: 180, visibilityChangesPerMinute: 60 },
    }));
    sim = new Simulator({ credentials, rooms, recordServed: true, seed: 41 });
    const endpoint = await sim.start();
    const files = [0, 1].map((i) => join(dir, `events-${i}.ndjson`));
    const launch = async (i: number): Promise<RunningDaemon> => {
      const d = await startDaemon({
        credentials,
        readyTimeoutMs: 30_000,
        config: {
          api: { endpoint, timeoutMs: 800, retryBaseDelayMs: 20, retryMaxDelayMs: 100 },
          rateLimit: { qps: 20 },
          schedule: '*/1 * * * * *',
          state: { backend: 'redis' },
          events: { file: files[i], log: false },
          cluster: { redis: { url: redis.url, keyPrefix: PREFIX, commandTimeoutMs: 300 }, failoverSeconds: FAILOVER_S },
          rooms: rooms.map((r) => ({ appId: r.appId, roomId: r.roomId })),
        },
      });
      running[i] = d;
      return d;
    };
    await launch(0);
    await waitFor('replica 0 to lead and commit a baseline', async () => ((await isLeader(running[0]!)) && Number(await client.hlen(`${PREFIX}rooms`)) === rooms.length ? true : undefined), { timeoutMs: 30_000 });
    await launch(1);

    const rng = createRng(20261130);
    for (let k = 0; k < KILLS; k++) {
      await new Promise((r) => setTimeout(r, 500 + rng.int(1500)));
      const flags = await Promise.all(running.map((d) => isLeader(d!)));
      const li = flags.indexOf(true);
      expect(li).toBeGreaterThanOrEqual(0);
      const leader = running[li]!;
      process.kill(leader.process.pid!, 'SIGKILL');
      await leader.process.waitForExit();
      await leader.stop();
      const other = running[1 - li]!;
      const killedAt = Date.now();
      await waitFor('the standby to take over', async () => ((await isLeader(other)) ? true : undefined), { timeoutMs: 20_000, intervalMs: 100 });
      // failoverSeconds is the contract; the slack is for scrapes and timer lag on a busy machine.
      expect(Date.now() - killedAt).toBeLessThan(FAILOVER_S * 1000 + 2500);
      await launch(li);
    }

    // A leader paused (SIGSTOP) past its lease and continued: whatever it polled meanwhile is refused by
    // the fence in Redis, so the log below stays consistent.
    {
      const flags = await Promise.all(running.map((d) => isLeader(d!)));
      const li = flags.indexOf(true);
      const paused = running[li]!;
      const other = running[1 - li]!;
      process.kill(paused.process.pid!, 'SIGSTOP');
      try {
        await waitFor('the other replica to take over', async () => ((await isLeader(other)) ? true : undefined), { timeoutMs: 20_000, intervalMs: 100 });
        await new Promise((r) => setTimeout(r, 1000)); // the new leader commits on top of the paused one's state
      } finally {
        process.kill(paused.process.pid!, 'SIGCONT');
      }
      await waitFor('the paused leader to step down', async () => (metricValue(await (await fetch(`${paused.url}/metrics`)).text(), 'rtc_cluster_leader') === 0 ? true : undefined), { timeoutMs: 10_000, intervalMs: 50 });
      expect(await isLeader(other)).toBe(true);
    }

    // Settle: no more churn, two more polls of every room, then clean stops (the files drain).
    for (const r of rooms) sim.world.setChurn({ paused: true }, r.appId, r.roomId);
    const targets = rooms.map((r) => sim.servedSnapshots('app', r.roomId).length + 2);
    await waitFor('two more polls of every room', () => (rooms.every((r, i) => sim.servedSnapshots('app', r.roomId).length >= targets[i]!) ? true : undefined), { timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 1500)); // a delivery re-reads the shared log at least every second
    for (const d of running.splice(0)) await d?.stop();

    const stream = (await client.xrange(`${PREFIX}events`, '-', '+')).map(([id, f]) => ({ streamId: id, ...(JSON.parse(f[f.indexOf('e') + 1]!) as Omit<LoggedEvent, 'id'>) }));
    const events: LoggedEvent[] = stream.map(({ streamId, ...e }) => ({ id: Number.parseInt(streamId, 10), ...e }));
    expect(stream.every((e) => e.streamId.endsWith('-0'))).toBe(true);
    expect(events.length).toBeGreaterThan(KILLS * 5);
    expect(events[0]!.id).toBe(1);
    for (let i = 1; i < events.length; i++) {
      // Strictly increasing and gap-free: no id twice, none lost.
      if (events[i]!.id !== events[i - 1]!.id + 1) throw new Error(`id ${events[i]!.id} after ${events[i - 1]!.id}`);
    }
    expect(Number(await client.get(`${PREFIX}event-id`))).toBe(events[events.length - 1]!.id);

    for (const r of rooms) {
      const served = sim.servedSnapshots('app', r.roomId);
      // Replica 0 was waited for until every room had its baseline committed, before anything was killed.
      expect(replayRoom(served[0]!, events, r.roomId)).toEqual(lastServed(served));
    }

    // The files: each replica's file is a part of the same log (same id, same event), increasing ids;
    // together they hold every event of the stream.
    const byId = new Map(events.map((e) => [e.id, JSON.stringify(e)]));
    const union = new Set<number>();
    for (const file of files) {
      const lines = fileEvents(file);
      for (let i = 1; i < lines.length; i++) expect(lines[i]!.id).toBeGreaterThan(lines[i - 1]!.id);
      for (const l of lines) {
        const { id, type, appId, roomId, userId, visibility } = l;
        expect(JSON.stringify({ id, type, appId, roomId, userId, visibility })).toBe(
          (() => {
            const s = JSON.parse(byId.get(id) ?? 'null') as LoggedEvent | null;
            return s && JSON.stringify({ id: s.id, type: s.type, appId: s.appId, roomId: s.roomId, userId: s.userId, visibility: s.visibility });
          })(),
        );
        union.add(id);
      }
    }
    expect([...union].sort((a, b) => a - b)).toEqual(events.map((e) => e.id));
  }, 300_000);

  it("a standby's status feed shows the leader's events from the shared stream", async () => {
    const rooms: SimRoomSpec[] = [{ appId: 'app', roomId: 'f1', visible: 5, invisible: 1, churn: { joinsPerMinute: 240, leavesPerMinute: 240, visibilityChangesPerMinute: 60 } }];
    sim = new Simulator({ credentials, rooms, seed: 7 });
    const endpoint = await sim.start();
    const launch = async (i: number): Promise<RunningDaemon> => {
      const d = await startDaemon({
        credentials,
        readyTimeoutMs: 30_000,
        config: {
          api: { endpoint, timeoutMs: 800 },
          rateLimit: { qps: 10 },
          schedule: '*/1 * * * * *',
          state: { backend: 'redis' },
          events: { log: false },
          cluster: { redis: { url: redis.url, keyPrefix: PREFIX, commandTimeoutMs: 300 }, failoverSeconds: FAILOVER_S },
          rooms: rooms.map((r) => ({ appId: r.appId, roomId: r.roomId })),
        },
      });
      running[i] = d;
      return d;
    };
    const leader = await launch(0);
    await waitFor('replica 0 to lead', async () => ((await isLeader(leader)) ? true : undefined), { timeoutMs: 30_000 });
    const standby = await launch(1);
    expect(await isLeader(standby)).toBe(false);
    const latest = async (d: RunningDaemon): Promise<number> => ((await (await fetch(`${d.url}/api/status`)).json()) as { latestEventId: number }).latestEventId;
    // Past what the standby could have read at start (its prefill): only following the stream gets there.
    const target = Number(await client.get(`${PREFIX}event-id`)) + 5;
    await waitFor('the standby to show the newer events', async () => ((await latest(standby)) >= target ? true : undefined), { timeoutMs: 30_000, intervalMs: 200 });
    // The page's live stream on the standby replays and then follows the same log, id for id.
    const abort = new AbortController();
    const res = await fetch(`${standby.url}/api/events/stream?lastEventId=0`, { signal: abort.signal });
    const reader = res.body!.getReader();
    const fromStandby: number[] = [];
    let text = '';
    const until = target + 5;
    while (fromStandby.length === 0 || fromStandby[fromStandby.length - 1]! < until) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString('utf8');
      // Whole messages only; the first one (`retry:` and the cursor as its `id:`) is not an event.
      const cut = text.lastIndexOf('\n\n');
      for (const message of text.slice(0, cut + 2).split('\n\n')) {
        const m = /^id: (\d+)\nevent: member\n/.exec(message);
        if (m) fromStandby.push(Number(m[1]));
      }
      text = text.slice(cut + 2);
    }
    abort.abort();
    const fromStream = (await client.xrange(`${PREFIX}events`, '-', '+')).map(([id]) => Number.parseInt(id, 10));
    expect(fromStandby[fromStandby.length - 1]).toBeGreaterThanOrEqual(until);
    expect(fromStandby).toEqual(fromStream.slice(0, fromStandby.length));
    expect(await isLeader(standby)).toBe(false);
  }, 120_000);
});
