import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Redis from 'ioredis';
import { Simulator } from '../../src/simulator';
import type { SimRoomSpec } from '../../src/simulator';
import { RunningDaemon, startDaemon } from '../support/daemon-process';
import type { LoggedEvent } from '../support/event-replay';
import { describeWithRequirements } from '../support/required-tools';
import { RedisProcess, redisServer } from '../support/redis-process';
import { waitFor } from '../support/wait-for';

/**
 * Issue #18, defect 9: a Redis that lost its data (restarted without persistence) must not hand out ids
 * that consumers have already seen. The leader loses the lease with the data, wins a new term, and before
 * its first commit continues the ids above its events file's last id.
 */

const credentials = { accessKeyId: 'AKLTloss', secretAccessKey: 'loss-secret-never-printed' };
const PREFIX = 'loss:';

const fileEvents = (file: string): LoggedEvent[] => {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as LoggedEvent);
  } catch {
    return [];
  }
};

describeWithRequirements('cluster mode: Redis loses its data', [redisServer], () => {
  let dir: string;
  let redis: RedisProcess;
  let sim: Simulator | undefined;
  let daemon: RunningDaemon | undefined;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rtc-redis-loss-'));
    redis = await RedisProcess.start();
  });
  afterEach(async () => {
    await daemon?.stop();
    await sim?.stop();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('after a Redis restart the ids continue above the events file: none twice, none going back', async () => {
    const rooms: SimRoomSpec[] = ['l1', 'l2'].map((roomId) => ({ appId: 'app', roomId, visible: 4, invisible: 0, churn: { joinsPerMinute: 240, leavesPerMinute: 240 } }));
    sim = new Simulator({ credentials, rooms, seed: 7 });
    const endpoint = await sim.start();
    const file = join(dir, 'events.ndjson');
    daemon = await startDaemon({
      credentials,
      readyTimeoutMs: 30_000,
      config: {
        api: { endpoint, timeoutMs: 800, retryBaseDelayMs: 20, retryMaxDelayMs: 100 },
        rateLimit: { qps: 20 },
        schedule: '*/1 * * * * *',
        state: { backend: 'redis' },
        events: { file, log: false },
        cluster: { redis: { url: redis.url, keyPrefix: PREFIX, commandTimeoutMs: 300 }, failoverSeconds: 2 },
        rooms: rooms.map((r) => ({ appId: r.appId, roomId: r.roomId })),
      },
    });
    await waitFor('some events in the file', () => (fileEvents(file).length >= 8 ? true : undefined), { timeoutMs: 30_000 });
    const before = fileEvents(file).length;
    const lastBefore = fileEvents(file).at(-1)!.id;

    await redis.kill();
    await redis.launch(); // same port, no data: no stream, no counter, no lease
    const client: Redis = await redis.client();

    await waitFor('new events after the restart', () => (fileEvents(file).length >= before + 8 ? true : undefined), { timeoutMs: 40_000 });
    const ids = fileEvents(file).map((e) => e.id);
    for (let i = 1; i < ids.length; i++) if (ids[i]! <= ids[i - 1]!) throw new Error(`id ${ids[i]} after ${ids[i - 1]} in the events file`);
    const stream = await client.xrange(`${PREFIX}events`, '-', '+');
    expect(stream.length).toBeGreaterThan(0);
    if (Number.parseInt(stream[0]![0], 10) <= lastBefore) throw new Error(daemon.process.output());
    expect(Number.parseInt(stream[0]![0], 10)).toBeGreaterThan(lastBefore);
  }, 120_000);
});
