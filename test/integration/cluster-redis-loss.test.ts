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
 * its first commit continues the ids above its events file's last id, and above every other replica's
 * (they report their positions to the new Redis: src/cluster/id-floor.ts).
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
  let standby: RunningDaemon | undefined;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rtc-redis-loss-'));
    redis = await RedisProcess.start();
  });
  afterEach(async () => {
    await standby?.stop();
    standby = undefined;
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

    await redis.restart({ keepData: false }); // same port, no data: no stream, no counter, no lease
    const client: Redis = await redis.client();

    await waitFor('new events after the restart', () => (fileEvents(file).length >= before + 8 ? true : undefined), { timeoutMs: 40_000 });
    const ids = fileEvents(file).map((e) => e.id);
    for (let i = 1; i < ids.length; i++) if (ids[i]! <= ids[i - 1]!) throw new Error(`id ${ids[i]} after ${ids[i - 1]} in the events file`);
    const stream = await client.xrange(`${PREFIX}events`, '-', '+');
    expect(stream.length).toBeGreaterThan(0);
    if (Number.parseInt(stream[0]![0], 10) <= lastBefore) throw new Error(daemon.process.output());
    expect(Number.parseInt(stream[0]![0], 10)).toBeGreaterThan(lastBefore);
  }, 120_000);

  it('the ids continue above every replica\'s events file, not only the new leader\'s', async () => {
    const rooms: SimRoomSpec[] = ['m1', 'm2'].map((roomId) => ({ appId: 'app', roomId, visible: 4, invisible: 0, churn: { joinsPerMinute: 240, leavesPerMinute: 240 } }));
    sim = new Simulator({ credentials, rooms, seed: 9 });
    const endpoint = await sim.start();
    const file = join(dir, 'events-b.ndjson');
    const base = {
      api: { endpoint, timeoutMs: 800, retryBaseDelayMs: 20, retryMaxDelayMs: 100 },
      rateLimit: { qps: 20 },
      schedule: '*/1 * * * * *',
      state: { backend: 'redis' },
      rooms: rooms.map((r) => ({ appId: r.appId, roomId: r.roomId })),
    };
    const cluster = (failoverSeconds: number): Record<string, unknown> => ({ redis: { url: redis.url, keyPrefix: PREFIX, commandTimeoutMs: 300 }, failoverSeconds });
    // A leads with no consumer of its own (no events file, no webhook); B stands by with an events file.
    // B tries for the lease every 5 s, A every 0.5 s: after the loss A almost always leads again, and A
    // alone has seen nothing, so only B's report keeps the ids above B's file.
    daemon = await startDaemon({ credentials, readyTimeoutMs: 30_000, config: { ...base, events: { log: false }, cluster: cluster(2) } });
    standby = await startDaemon({ credentials, readyTimeoutMs: 30_000, config: { ...base, events: { file, log: false }, cluster: cluster(20) } });
    await waitFor('some events in B\'s file', () => (fileEvents(file).length >= 8 ? true : undefined), { timeoutMs: 30_000 });
    const lastBefore = fileEvents(file).at(-1)!.id;

    await redis.restart({ keepData: false });
    const client: Redis = await redis.client();
    await waitFor('new events in B\'s file after the restart', () => (fileEvents(file).some((e) => e.id > lastBefore) && fileEvents(file).length >= 16 ? true : undefined), { timeoutMs: 40_000 });
    const ids = fileEvents(file).map((e) => e.id);
    for (let i = 1; i < ids.length; i++) if (ids[i]! <= ids[i - 1]!) throw new Error(`id ${ids[i]} after ${ids[i - 1]} in B's events file`);
    // Every event committed after the loss is in B's file: none got an id B's file had already passed.
    const stream = (await client.xrange(`${PREFIX}events`, '-', '+')).map(([id]) => Number.parseInt(id, 10));
    expect(stream.length).toBeGreaterThan(0);
    expect(stream[0]).toBeGreaterThan(lastBefore);
    const inFile = new Set(ids);
    expect(stream.filter((id) => !inFile.has(id) && id <= ids.at(-1)!)).toEqual([]);
  }, 120_000);
});
