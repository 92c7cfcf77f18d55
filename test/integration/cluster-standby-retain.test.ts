import { readFileSync, writeFileSync } from 'node:fs';
import type Redis from 'ioredis';
import { parse, stringify } from 'yaml';
import { Simulator } from '../../src/simulator';
import { RunningDaemon, startDaemon } from '../support/daemon-process';
import { reportsLeader } from '../support/served-oracle';
import { describeWithRequirements } from '../support/required-tools';
import { RedisProcess, redisServer } from '../support/redis-process';
import { waitFor } from '../support/wait-for';

/**
 * Issue #18, defect 1: a standby knows no ListRoomInfo rooms (its discovery passes get no permits), so
 * when a room leaves its set (here: a reload on the standby removes a fixed room) its room retention must
 * not delete the leader's discovered rooms from the shared store. Every write is fenced: it is refused.
 */

const credentials = { accessKeyId: 'AKLTretain', secretAccessKey: 'retain-secret-never-printed' };
const APP = 'app-d';
const PREFIX = 'retain:';

const isLeader = (d: RunningDaemon): Promise<boolean> => reportsLeader(d.url);

describeWithRequirements('cluster mode: a standby never deletes shared room state', [redisServer], () => {
  let redis: RedisProcess;
  let client: Redis;
  let sim: Simulator;
  const running: RunningDaemon[] = [];

  beforeAll(async () => {
    redis = await RedisProcess.start();
    client = await redis.client();
  });
  afterAll(async () => {
    for (const d of running.splice(0)) await d.stop();
    await sim?.stop();
    await redis.stop();
  });

  it('a reload on the standby that removes a room leaves the leader\'s discovered rooms in Redis', async () => {
    sim = new Simulator({
      credentials,
      rooms: ['fixed-1', 'fixed-2'].map((roomId) => ({ appId: 'app-fixed', roomId, visible: 2, churn: { paused: true } })),
      calls: [{ appId: APP, roomId: 'long', startMs: Date.now() - 60_000, visible: 3 }],
      dataDelayMs: 0,
    });
    const endpoint = await sim.start();
    const config = {
      api: { endpoint, timeoutMs: 2000 },
      rateLimit: { qps: 20 },
      schedule: '*/1 * * * * *',
      events: { log: false },
      state: { backend: 'redis' },
      discovery: { listRoomInfo: { apps: [APP], intervalSeconds: 1, lookbackHours: 1, overlapSeconds: 3, qps: 5 }, retireAfterSeconds: 2 },
      cluster: { redis: { url: redis.url, keyPrefix: PREFIX, commandTimeoutMs: 300 }, failoverSeconds: 2 },
      rooms: ['fixed-1', 'fixed-2'].map((roomId) => ({ appId: 'app-fixed', roomId })),
    };
    running.push(await startDaemon({ credentials, config, readyTimeoutMs: 30_000 }));
    const [leader] = running;
    const roomKeys = async (): Promise<string[]> => (await client.hkeys(`${PREFIX}rooms`)).sort();
    await waitFor('the leader to commit the fixed and the discovered room', async () => ((await isLeader(leader!)) && (await roomKeys()).some((k) => k.includes('long')) && (await roomKeys()).length === 3 ? true : undefined), { timeoutMs: 30_000 });

    running.push(await startDaemon({ credentials, config, readyTimeoutMs: 30_000 }));
    const standby = running[1]!;
    expect(await isLeader(standby)).toBe(false);
    const next = parse(readFileSync(standby.configFile, 'utf8')) as typeof config;
    next.rooms = next.rooms.filter((r) => r.roomId !== 'fixed-2');
    writeFileSync(standby.configFile, stringify(next));
    process.kill(standby.process.pid!, 'SIGHUP');
    await waitFor('the standby to apply the reload', async () => (/room list changed|config reloaded/.test(standby.process.output()) ? true : undefined), { timeoutMs: 10_000 }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 4000)); // several standby ticks past retireAfterSeconds

    const keys = await roomKeys();
    expect(keys).toHaveLength(3);
    const long = keys.find((k) => k.includes('long'))!;
    expect(await client.hlen(`${PREFIX}room:${long}:members`)).toBe(3);
  }, 90_000);
});
