import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import Redis from 'ioredis';
import { Simulator } from '../src/simulator';
import { DaemonChild } from './daemon-child';
import { BENCH_APP, BENCH_CREDENTIALS, baseConfig, configRooms, roomId } from './sim-world';
import { percentile } from './stats';
import { freePort, sleep, waitUntil } from './wait';

/**
 * Cluster failover (issue #10): two replicas on one redis-server (state.backend redis) poll a simulator
 * with churn. The leader is killed with SIGKILL again and again; each time we time, from the kill, the
 * moment the other replica reports itself leader and the moment the shared event counter moves (the new
 * leader's first commit), then start a fresh standby. Also the Redis commands per poll at steady state
 * (INFO commandstats across both replicas: lease renewals, limiter permits, commits, divided by the
 * polls the simulator served).
 *
 *   npm run build && node dist/bench/failover.js [--kills 8] [--failover 5] [--rooms 20]
 *
 * Needs redis-server on the PATH (scripts/ci-install-tools.sh). Loopback only.
 */

const PREFIX = 'rtc-bench-failover:';
/** How often takeover is probed: the measured times are this precise. */
const POLL_MS = 20;
const BUSY = { joinsPerMinute: 120, leavesPerMinute: 100, visibilityChangesPerMinute: 30, invisibleJoinRatio: 0.3 };

async function isLeader(d: DaemonChild): Promise<boolean> {
  const text = await (await fetch(`${d.url}/metrics`)).text();
  return /^rtc_cluster_leader 1$/m.test(text);
}

/** Commands Redis executed (those inside scripts included) and script calls (each one round trip). */
async function commandCalls(redis: Redis): Promise<{ all: number; scripts: number }> {
  const info = await redis.info('commandstats');
  let all = 0;
  let scripts = 0;
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    all += Number(m[2]);
    if (m[1] === 'evalsha' || m[1] === 'eval') scripts += Number(m[2]);
  }
  return { all, scripts };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { kills: { type: 'string', default: '8' }, failover: { type: 'string', default: '5' }, rooms: { type: 'string', default: '20' } } });
  const kills = Number(values.kills);
  const failoverSeconds = Number(values.failover);
  const rooms = Number(values.rooms);

  const redisPort = await freePort();
  const redisProc = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const redis = new Redis({ port: redisPort, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined); // refused until redis-server listens; `waitUntil` retries
  const sim = new Simulator({
    credentials: BENCH_CREDENTIALS,
    rooms: Array.from({ length: rooms }, (_, i) => ({ appId: BENCH_APP, roomId: roomId(i), visible: 20, invisible: 2, churn: BUSY })),
    seed: 7,
  });
  const endpoint = await sim.start();
  const config = {
    ...baseConfig(endpoint, 10, '* * * * * *', configRooms(rooms)),
    state: { backend: 'redis' },
    cluster: { redis: { url: `redis://127.0.0.1:${redisPort}/0`, keyPrefix: PREFIX }, failoverSeconds },
  };
  const replicas: DaemonChild[] = [];
  try {
    await waitUntil('redis-server', async () => {
      if (redis.status === 'wait') await redis.connect();
      return (await redis.ping()) === 'PONG' ? true : undefined;
    }, 10_000, 100);
    replicas.push(await DaemonChild.start({ config, credentials: BENCH_CREDENTIALS }));
    replicas.push(await DaemonChild.start({ config, credentials: BENCH_CREDENTIALS }));
    await waitUntil('a leader', async () => ((await Promise.all(replicas.map(isLeader))).some(Boolean) ? true : undefined), 30_000, POLL_MS);
    await sleep(3000);

    // Steady state: Redis commands per poll.
    const c0 = await commandCalls(redis);
    const p0 = sim.stats().requests;
    await sleep(10_000);
    const c1 = await commandCalls(redis);
    const p1 = sim.stats().requests;
    const polls = Math.max(1, p1 - p0);
    const perPoll = { all: (c1.all - c0.all) / polls, scripts: (c1.scripts - c0.scripts) / polls };

    const takeoverMs: number[] = [];
    const commitMs: number[] = [];
    for (let k = 0; k < kills; k++) {
      const roles = await Promise.all(replicas.map(isLeader));
      const li = roles.indexOf(true);
      if (li < 0) throw new Error('no leader before a kill');
      const leader = replicas[li]!;
      const other = replicas[1 - li]!;
      const idAtKill = Number((await redis.get(`${PREFIX}event-id`)) ?? 0);
      const t0 = performance.now();
      process.kill(leader.pid, 'SIGKILL');
      await waitUntil('takeover', async () => ((await isLeader(other)) ? true : undefined), (failoverSeconds + 10) * 1000, POLL_MS);
      takeoverMs.push(performance.now() - t0);
      await waitUntil('first commit by the new leader', async () => (Number((await redis.get(`${PREFIX}event-id`)) ?? 0) > idAtKill ? true : undefined), (failoverSeconds + 20) * 1000, POLL_MS);
      commitMs.push(performance.now() - t0);
      await leader.stop();
      replicas[li] = await DaemonChild.start({ config, credentials: BENCH_CREDENTIALS });
      await sleep(2000);
    }

    const fmt = (xs: number[], q: number): string => (percentile(xs, q) / 1000).toFixed(2);
    process.stdout.write(
      [
        `failover, ${kills} kills, cluster.failoverSeconds ${failoverSeconds}, ${rooms} rooms at qps 10 with churn (state.backend redis)`,
        `kill -9 -> other replica leads:      p50 ${fmt(takeoverMs, 50)} s  p99 ${fmt(takeoverMs, 99)} s  max ${(Math.max(...takeoverMs) / 1000).toFixed(2)} s`,
        `kill -9 -> first commit (new leader): p50 ${fmt(commitMs, 50)} s  p99 ${fmt(commitMs, 99)} s  max ${(Math.max(...commitMs) / 1000).toFixed(2)} s`,
        `Redis per poll at steady state (both replicas): ${perPoll.scripts.toFixed(2)} script calls (round trips: lease, limiter, commits), ${perPoll.all.toFixed(2)} commands counting those inside scripts`,
        '',
      ].join('\n'),
    );
  } finally {
    await Promise.all(replicas.map((r) => r.stop()));
    await sim.stop();
    redis.disconnect();
    redisProc.kill('SIGKILL');
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
