import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Redis from 'ioredis';
import { Simulator } from '../../src/simulator';
import { callbackBody } from '../../src/simulator/callback-pusher';
import { RunningDaemon, startDaemon } from '../support/daemon-process';
import { reportsLeader } from '../support/served-oracle';
import { describeWithRequirements } from '../support/required-tools';
import { RedisProcess, redisServer } from '../support/redis-process';
import { waitFor } from '../support/wait-for';

/**
 * Callbacks in cluster mode: the vendor posts to whichever replica its request reaches. A standby stores the
 * callback in Redis before its 200, and the leader applies it once, through its fenced commit.
 */

const credentials = { accessKeyId: 'AKLTcbcluster', secretAccessKey: 'cb-cluster-secret-never-printed' };
const SECRET = 'cluster-callback-secret-never-printed';
const PREFIX = 'cbc:';

const isLeader = (d: RunningDaemon): Promise<boolean> => reportsLeader(d.url);

describeWithRequirements('callbacks in cluster mode', [redisServer], () => {
  let dir: string;
  let redis: RedisProcess;
  let client: Redis;
  let sim: Simulator;
  const running: RunningDaemon[] = [];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rtc-cb-cluster-'));
    redis = await RedisProcess.start();
    client = await redis.client();
  });
  afterEach(async () => {
    for (const d of running.splice(0)) await d.stop();
    await sim?.stop();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a callback posted to the standby is applied by the leader exactly once', async () => {
    sim = new Simulator({ credentials, rooms: [{ appId: 'app', roomId: 'r1', visible: 2, churn: { paused: true } }] });
    const endpoint = await sim.start();
    const launch = async (i: number): Promise<RunningDaemon> => {
      const d = await startDaemon({
        credentials,
        env: { RTC_CALLBACK_SECRET: SECRET },
        readyTimeoutMs: 30_000,
        config: {
          api: { endpoint, timeoutMs: 2000 },
          rateLimit: { qps: 10 },
          schedule: '0 0 * * * *',
          state: { backend: 'redis' },
          events: { file: join(dir, `events-${i}.ndjson`), log: false },
          cluster: { redis: { url: redis.url, keyPrefix: PREFIX, commandTimeoutMs: 300 }, failoverSeconds: 2 },
          callbacks: {},
          rooms: [{ appId: 'app', roomId: 'r1' }],
        },
      });
      running.push(d);
      return d;
    };
    const first = await launch(0);
    await waitFor('replica 0 to lead and commit its baseline', async () => ((await isLeader(first)) && Number(await client.hlen(`${PREFIX}rooms`)) === 1 ? true : undefined), { timeoutMs: 30_000 });
    const standby = await launch(1);
    expect(await isLeader(standby)).toBe(false);

    sim.world.addMember('app', 'r1', 'via-standby', 'visible');
    const body = callbackBody({ kind: 'join', appId: 'app', roomId: 'r1', userId: 'via-standby', visibility: 'visible', atMs: Date.now() }, 'evt-standby-1', 'abcd', SECRET);
    expect((await fetch(`${standby.url}/callbacks/rtc`, { method: 'POST', body })).status).toBe(200);
    const stream = async (): Promise<{ userId: string; source: string }[]> =>
      (await client.xrange(`${PREFIX}events`, '-', '+')).map(([, fields]) => JSON.parse(fields[fields.indexOf('e') + 1]!) as { userId: string; source: string });
    await waitFor('the leader to apply it', async () => ((await stream()).some((e) => e.userId === 'via-standby') ? true : undefined));
    // The same callback again, to the leader and to the standby: no second event.
    expect((await fetch(`${first.url}/callbacks/rtc`, { method: 'POST', body })).status).toBe(200);
    expect((await fetch(`${standby.url}/callbacks/rtc`, { method: 'POST', body })).status).toBe(200);
    await waitFor('the inbox to drain', async () => (Number(await client.llen(`${PREFIX}callbacks:inbox`)) === 0 ? true : undefined));
    expect((await stream()).filter((e) => e.userId === 'via-standby')).toEqual([expect.objectContaining({ source: 'callback' })]);
  });
});
