import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Simulator } from '../../src/simulator';
import type { SimRoomSpec } from '../../src/simulator';
import { RunningDaemon, startDaemon } from '../support/daemon-process';
import { metricValue } from '../support/served-oracle';
import { describeWithRequirements } from '../support/required-tools';
import { RedisProcess, redisServer } from '../support/redis-process';
import { waitFor } from '../support/wait-for';

/**
 * Replicas in cluster mode: two and three built daemons share one Redis (leader lease, rate limit)
 * and poll one simulator with churn. The oracle is the simulator (its busiest rolling second) and each
 * replica's own request counter: in any interval, only one replica's grows.
 */

const QPS = 6;
const FAILOVER_S = 3;
const credentials = { accessKeyId: 'AKLTcluster', secretAccessKey: 'cluster-secret-never-printed' };

// 12 rooms at 6 qps: a cycle outlasts the 1 s schedule, so the limiter runs at its cap all the time.
const rooms: SimRoomSpec[] = Array.from({ length: 12 }, (_, i) => ({
  appId: 'app',
  roomId: `r${i}`,
  visible: 5,
  invisible: 1,
  churn: i < 4 ? { joinsPerMinute: 60, leavesPerMinute: 60, visibilityChangesPerMinute: 20 } : { paused: true },
}));

const scrape = async (d: RunningDaemon): Promise<string> => (await fetch(`${d.url}/metrics`)).text();

/** Sum of every sample of one family (e.g. rtc_api_requests_total over all codes). */
function sumOf(text: string, name: string): number {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .reduce((s, l) => s + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

const requests = async (d: RunningDaemon): Promise<number> => sumOf(await scrape(d), 'rtc_api_requests_total');
const isLeader = async (d: RunningDaemon): Promise<boolean> => metricValue(await scrape(d), 'rtc_cluster_leader') === 1;

function eventLines(file: string): number {
  try {
    return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').length;
  } catch {
    return 0;
  }
}

describeWithRequirements('cluster mode (replicas on Redis)', [redisServer], () => {
  let dir: string;
  let redis: RedisProcess;
  let sim: Simulator;
  let endpoint: string;
  const replicas: RunningDaemon[] = [];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rtc-cluster-'));
    redis = await RedisProcess.start();
    sim = new Simulator({ credentials, rooms, seed: 5 });
    endpoint = await sim.start();
  });
  afterEach(async () => {
    for (const d of replicas.splice(0)) {
      try {
        process.kill(d.process.pid!, 'SIGCONT');
      } catch {
        // already gone
      }
      await d.stop();
    }
    await sim.stop();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function replica(i: number, redisUrl = redis.url, logLevel = 'info'): Promise<RunningDaemon> {
    const d = await startDaemon({
      credentials,
      env: { LOG_LEVEL: logLevel },
      config: {
        api: { endpoint, timeoutMs: 2000, retryBaseDelayMs: 20, retryMaxDelayMs: 100 },
        rateLimit: { qps: QPS },
        schedule: '*/1 * * * * *',
        events: { file: join(dir, `events-${i}.ndjson`), log: false },
        // Per-replica stores, asked for explicitly (the default with cluster is the shared Redis store,
        // tested in cluster-store.test.ts): these tests read each replica's own events file.
        state: { backend: 'memory' },
        cluster: { redis: { url: redisUrl, keyPrefix: 'it:', commandTimeoutMs: 500 }, failoverSeconds: FAILOVER_S },
        rooms: rooms.map((r) => ({ appId: r.appId, roomId: r.roomId })),
      },
    });
    replicas.push(d);
    return d;
  }

  async function startReplicas(n: number): Promise<RunningDaemon[]> {
    const ds: RunningDaemon[] = [];
    for (let i = 0; i < n; i++) ds.push(await replica(i));
    await waitFor('one leader', async () => ((await Promise.all(ds.map(isLeader))).filter(Boolean).length === 1 ? true : undefined));
    return ds;
  }

  async function leaderOf(ds: RunningDaemon[]): Promise<RunningDaemon> {
    const flags = await Promise.all(ds.map(isLeader));
    expect(flags.filter(Boolean)).toHaveLength(1);
    return ds[flags.indexOf(true)]!;
  }

  /** Samples every replica's request counter `samples` times; returns, per interval, who polled. */
  async function whoPolls(ds: RunningDaemon[], samples: number, intervalMs = 1200): Promise<number[][]> {
    let prev = await Promise.all(ds.map(requests));
    const out: number[][] = [];
    for (let s = 0; s < samples; s++) {
      await new Promise((r) => setTimeout(r, intervalMs));
      const next = await Promise.all(ds.map(requests));
      out.push(ds.map((_, i) => i).filter((i) => next[i]! > prev[i]!));
      prev = next;
    }
    return out;
  }

  const peak = (): number => sim.stats().maxRequestsInAnyWindow;

  it.each([2, 3])('%i replicas: exactly one polls at a time; kill -9 of the leader → another takes over; one budget throughout', async (n) => {
    const ds = await startReplicas(n);
    const leader = await leaderOf(ds);
    const polling = await whoPolls(ds, 5);
    // Every interval: the leader and nobody else.
    expect(polling).toEqual(polling.map(() => [ds.indexOf(leader)]));
    for (const d of ds.filter((x) => x !== leader)) {
      const text = await scrape(d);
      expect(text).not.toContain('rtc_room_up{'); // only the leader exports room series
      expect(metricValue(text, 'rtc_cluster_redis_up')).toBe(1);
      expect((await fetch(`${d.url}/-/ready`)).status).toBe(200); // a standby is ready to take over
    }
    expect(metricValue(await scrape(leader), 'rtc_room_up', 'r0')).toBe(1);
    const oldToken = metricValue(await scrape(leader), 'rtc_cluster_fencing_token')!;

    process.kill(leader.process.pid!, 'SIGKILL');
    await leader.process.waitForExit();
    const killedAt = Date.now();
    const rest = ds.filter((d) => d !== leader);
    await waitFor('a standby to take over', async () => ((await Promise.all(rest.map(isLeader))).some(Boolean) ? true : undefined), { timeoutMs: 20_000, intervalMs: 100 });
    // failoverSeconds is the contract; the slack is for scrape intervals and timer lag on a busy machine.
    expect(Date.now() - killedAt).toBeLessThan(FAILOVER_S * 1000 + 2000);
    const next = await leaderOf(rest);
    const text = await scrape(next);
    expect(metricValue(text, 'rtc_cluster_fencing_token')!).toBeGreaterThan(oldToken);
    expect(metricValue(text, 'rtc_cluster_failovers_total')).toBe(1);
    await waitFor('the new leader to refresh every room', async () => ((metricValue(await scrape(next), 'rtc_room_up', 'r11') ?? 0) === 1 ? true : undefined));
    const after = await whoPolls(rest, 4);
    expect(after).toEqual(after.map(() => [rest.indexOf(next)]));
    // One budget across all replicas and the failover, as the vendor counts it.
    expect(peak()).toBeLessThanOrEqual(QPS + 1);
    expect(sim.stats().throttled).toBe(0);
  }, 120_000);

  it('a leader stopped (SIGSTOP) past its lease and continued commits nothing and steps down', async () => {
    const ds = await startReplicas(2);
    const leader = await leaderOf(ds);
    const other = ds.find((d) => d !== leader)!;
    const leaderEvents = join(dir, `events-${ds.indexOf(leader)}.ndjson`);
    await waitFor('the leader to report some churn', () => (eventLines(leaderEvents) > 0 ? true : undefined), { timeoutMs: 30_000 });

    process.kill(leader.process.pid!, 'SIGSTOP');
    await waitFor('the other replica to take over', async () => ((await isLeader(other)) ? true : undefined), { timeoutMs: 20_000, intervalMs: 100 });
    const linesAtPause = eventLines(leaderEvents);
    const requestsAtPause = sim.stats().requests;
    process.kill(leader.process.pid!, 'SIGCONT');

    await waitFor('the old leader to step down', async () => (metricValue(await scrape(leader), 'rtc_cluster_leader') === 0 ? true : undefined), { timeoutMs: 10_000, intervalMs: 50 });
    const polling = await whoPolls(ds, 5);
    expect(polling).toEqual(polling.map(() => [ds.indexOf(other)]));
    // The fence held: nothing the old leader found after losing the lease left the process.
    expect(eventLines(leaderEvents)).toBe(linesAtPause);
    expect(await isLeader(other)).toBe(true);
    expect(sim.stats().requests).toBeGreaterThan(requestsAtPause);
    expect(peak()).toBeLessThanOrEqual(QPS + 1);
  }, 120_000);

  it('Redis restarted mid-run: no crash, the leader stops polling and keeps its values, no invented event, work resumes', async () => {
    for (const r of rooms) sim.world.setChurn({ paused: true }, r.appId, r.roomId);
    const ds = await startReplicas(2);
    const leader = await leaderOf(ds);
    await waitFor('every room polled', async () => ((metricValue(await scrape(leader), 'rtc_room_up', 'r11') ?? 0) === 1 ? true : undefined));
    const files = ds.map((_, i) => join(dir, `events-${i}.ndjson`));
    const lines = files.map(eventLines);

    await redis.kill();
    await waitFor('the leader to see Redis down', async () => (metricValue(await scrape(leader), 'rtc_cluster_redis_up') === 0 ? true : undefined), { timeoutMs: 15_000 });
    const text = await scrape(leader);
    expect(metricValue(text, 'rtc_cluster_leader')).toBe(0);
    // Its last values stay, rtc_room_up unchanged.
    expect(metricValue(text, 'rtc_room_up', 'r0')).toBe(1);
    expect(metricValue(text, 'rtc_room_total_users', 'r0')).toBe(6);
    // Nobody polls while nobody can prove it leads (a request already granted may still land).
    const quietFrom = sim.stats().requests;
    await new Promise((r) => setTimeout(r, 1500));
    const quiet = sim.stats().requests;
    expect(quiet - quietFrom).toBeLessThanOrEqual(1);
    await new Promise((r) => setTimeout(r, 1500));
    expect(sim.stats().requests).toBe(quiet);

    await redis.launch();
    await waitFor('a leader again', async () => ((await Promise.all(ds.map(isLeader))).some(Boolean) ? true : undefined), { timeoutMs: 20_000 });
    await waitFor('polling to resume', () => (sim.stats().requests > quiet + 12 ? true : undefined), { timeoutMs: 20_000 });
    for (const d of ds) d.process.assertRunning();
    expect(files.map(eventLines)).toEqual(lines);
    expect(peak()).toBeLessThanOrEqual(QPS + 1);
  }, 120_000);

  it('never prints a password from cluster.redis.url, even at debug level and across a Redis outage', async () => {
    const password = 'redis-password-never-printed';
    const url = `redis://user:${password}@127.0.0.1:${redis.port}`;
    // This Redis has no AUTH configured: AUTH fails, so the replica logs connection errors; none may quote the URL.
    const d = await replica(0, url, 'debug').catch((err: Error) => err);
    const output = d instanceof Error ? d.message : d.process.output();
    expect(output).toContain('redis');
    expect(output).not.toContain(password);
  }, 60_000);
});
