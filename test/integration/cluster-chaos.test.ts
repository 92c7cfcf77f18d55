import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Redis from 'ioredis';
import { parse, stringify } from 'yaml';
import { Simulator } from '../../src/simulator';
import type { ServedSnapshot, SimRoomSpec } from '../../src/simulator';
import { createRng } from '../../src/simulator/rng';
import { startDaemon } from '../support/daemon-process';
import { lastServed, LoggedEvent, members, readEventsFile, readStream, replayFromFreshBaseline, replayRoom, StreamEvent } from '../support/event-replay';
import { ReplicaSet } from '../support/replica-set';
import { describeWithRequirements } from '../support/required-tools';
import { RedisProcess, redisServer } from '../support/redis-process';
import { waitFor } from '../support/wait-for';
import { FlakyReceiver } from '../support/webhook-receiver';

/**
 * Issue #18, the chaos run: three replicas sharing one real redis-server; rooms from the config, from a
 * discovery file and from ListRoomInfo; a webhook receiver that fails for the first part of the run; the
 * leader killed (-9) and paused (SIGSTOP past its lease, then SIGCONT); rooms retired and re-added (a
 * file edit, a call that ends and a new one, a config edit + SIGHUP on a standby); Redis restarted once
 * keeping its data and once losing it.
 *
 * What "consistent" means across a Redis data loss (README, cluster mode): the stream before the loss
 * is gone with Redis; the stream after it starts above every id a consumer saw (events files, webhook),
 * and each room's first commit after the loss is a fresh baseline with no events, so the new stream
 * replays from one answer the simulator served after the loss to the last one. Changes between the last
 * commit before the loss and that baseline are not reported. The webhook receives everything committed
 * before the loss only if it caught up before it (the test lets it: Redis held the undelivered rest).
 * A room that expired (retired past discovery.retireAfterSeconds) and came back starts a new segment the
 * same way. Everything else is one log per room from its first answer to its last.
 */

const credentials = { accessKeyId: 'AKLTchaos', secretAccessKey: 'chaos-secret-never-printed' };
const FAILOVER_S = 2;
const RETIRE_S = 2;
const QPS = 20;
const PREFIX = 'chaos:';
const APP = 'app';
const CALL_APP = 'app-call';
const CHURN = { joinsPerMinute: 150, leavesPerMinute: 150, visibilityChangesPerMinute: 40 };
const STATIC = ['s1', 's2'];
const FILED = ['f1', 'f2', 'f3'];

type Room = { appId: string; roomId: string };
const key = (r: Room): string => `${r.appId}/${r.roomId}`;
/** CHAOS_TRACE=1 prints each phase as it starts (where a run that times out was). */
const trace = (what: string): void => void (process.env.CHAOS_TRACE && process.stderr.write(`${new Date().toISOString()} chaos: ${what}\n`));
const sameMembers = (a: Map<string, string>, b: Map<string, string>): boolean => JSON.stringify([...a]) === JSON.stringify([...b]);

describeWithRequirements('cluster chaos (three replicas, shared Redis store, discovery, webhook)', [redisServer], () => {
  let dir: string;
  let redis: RedisProcess;
  let client: Redis;
  let sim: Simulator | undefined;
  const receiver = new FlakyReceiver();
  let replicas: ReplicaSet | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rtc-chaos-'));
    redis = await RedisProcess.start();
    client = await redis.client();
    await receiver.start();
  });
  afterAll(async () => {
    await replicas?.stopAll();
    await sim?.stop();
    await receiver.close();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('one consistent log per room through kills, pauses, retirements, reloads and two Redis restarts', async () => {
    const fixed: SimRoomSpec[] = [...STATIC, ...FILED].map((roomId, i) => ({ appId: APP, roomId, visible: 4 + (i % 3), invisible: 1, churn: CHURN }));
    sim = new Simulator({ credentials, rooms: fixed, recordServed: true, seed: 18, dataDelayMs: 0, calls: [{ appId: CALL_APP, roomId: 'd1', startMs: Date.now() - 60_000, visible: 4, churn: CHURN }] });
    const endpoint = await sim.start();
    const served = (r: Room): ServedSnapshot[] => sim!.servedSnapshots(r.appId, r.roomId);
    const all: Room[] = [...STATIC, ...FILED].map((roomId) => ({ appId: APP, roomId })).concat(['d1', 'd2'].map((roomId) => ({ appId: CALL_APP, roomId })));
    const inRedis = async (r: Room): Promise<boolean> => (await client.hkeys(`${PREFIX}rooms`)).includes(JSON.stringify([r.appId, r.roomId]));

    const listFile = join(dir, 'rooms.yaml');
    const writeList = (roomIds: string[]): void => writeFileSync(listFile, stringify(roomIds.map((roomId) => ({ appId: APP, roomId }))));
    writeList(FILED);
    const files = [0, 1, 2].map((i) => join(dir, `events-${i}.ndjson`));
    const config = (i: number): Record<string, unknown> => ({
      api: { endpoint, timeoutMs: 800, retryBaseDelayMs: 20, retryMaxDelayMs: 100 },
      rateLimit: { qps: QPS },
      schedule: '*/1 * * * * *',
      events: { file: files[i], log: false, webhook: { url: receiver.url(i), batchSize: 20, flushIntervalMs: 200, maxRetries: 1, timeoutMs: 1000 } },
      discovery: { files: [listFile], listRoomInfo: { apps: [CALL_APP], intervalSeconds: 1, lookbackHours: 1, overlapSeconds: 3, qps: 5 }, retireAfterSeconds: RETIRE_S },
      cluster: { redis: { url: redis.url, keyPrefix: PREFIX, commandTimeoutMs: 300 }, failoverSeconds: FAILOVER_S },
      rooms: STATIC.map((roomId) => ({ appId: APP, roomId })),
    });
    replicas = new ReplicaSet(3, (i) => startDaemon({ credentials, readyTimeoutMs: 30_000, config: config(i) }));
    const set = replicas;

    trace('start');
    await set.launch(0);
    const baselined = ['s1', 's2', 'f1', 'f2', 'f3', 'd1'].map((roomId) => all.find((r) => r.roomId === roomId)!);
    await waitFor('replica 0 to lead and commit every baseline', async () => ((await set.isLeader(0)) && (await Promise.all(baselined.map(inRedis))).every(Boolean) ? true : undefined), { timeoutMs: 30_000 });
    await set.launch(1);
    await set.launch(2);

    const rng = createRng(20261207);
    const chaosPause = (): Promise<void> => new Promise((r) => setTimeout(r, 700 + rng.int(1300))); // when, not whether: the checks poll
    const lastStreamId = async (): Promise<number> => Number((await client.get(`${PREFIX}event-id`)) ?? 0);
    /** A deposed leader must send nothing after it resumes: its queue held the failing receiver's backlog. */
    const pauseLeader = async (): Promise<void> => {
      const li = await set.waitForLeader('a leader to pause');
      const { next, resumedAtMs } = await set.pauseUntilDeposed(li);
      await waitFor(`replica ${li} to see it no longer leads`, async () => ((await set.metric(li, 'rtc_cluster_leader')) === 0 ? true : undefined), { timeoutMs: 10_000 });
      await waitFor(`the new leader ${next} to post`, () => (receiver.postsFrom(next, resumedAtMs).length > 0 ? true : undefined), { timeoutMs: 15_000 });
      expect(receiver.postsFrom(li, resumedAtMs)).toEqual([]);
    };

    trace('chaos 1: kill');
    // Chaos 1: the leader dies.
    await chaosPause();
    await set.killAndRelaunch(await set.waitForLeader('a leader to kill'));

    // Retired and re-added. A standby's reload that drops a fixed room must not touch the shared store
    // (defect 1: its s2 log below stays one log). The leader's reload drops s1 (a fixed room leaves at
    // once), the file loses f2 on every replica, the call in d2 ends; f2 and d2 expire (retireAfterSeconds).
    // The leader forgets all three; then all three come back, as new baselines.
    const li = await set.waitForLeader('a leader before the reloads');
    const standby = (li + 1) % 3;
    const edit = async (i: number, rooms: string[]): Promise<void> => {
      const d = set.get(i);
      const before = (await set.metric(i, 'rtc_config_last_reload_success_timestamp_seconds')) ?? 0;
      writeFileSync(d.configFile, stringify({ ...(parse(readFileSync(d.configFile, 'utf8')) as object), rooms: rooms.map((roomId) => ({ appId: APP, roomId })) }));
      d.process.signal('SIGHUP');
      await waitFor(`replica ${i} to apply its reload`, async () => (((await set.metric(i, 'rtc_config_last_reload_success_timestamp_seconds')) ?? 0) > before ? true : undefined), { timeoutMs: 10_000 });
    };
    trace('retire');
    await edit(standby, ['s1']);
    await edit(li, ['s2']);
    const d2 = { appId: CALL_APP, roomId: 'd2' };
    sim.timeline.add({ ...d2, startMs: Date.now() - 1000, endMs: Date.now() + 4000, visible: 3, churn: CHURN });
    await waitFor('the call in d2 to be discovered and committed', () => inRedis(d2).then((y) => y || undefined), { timeoutMs: 15_000 });
    writeList(['f1', 'f3']);
    const f2 = { appId: APP, roomId: 'f2' };
    const s1 = { appId: APP, roomId: 's1' };
    const readded = [s1, f2, d2];
    await waitFor('s1, f2 and the ended d2 to leave Redis', async () => ((await Promise.all(readded.map(inRedis))).some(Boolean) ? undefined : true), { timeoutMs: 20_000 });
    trace('re-add');
    await edit(standby, STATIC);
    const readdedAtMs = Date.now();
    await edit(li, STATIC);
    writeList(FILED);
    sim.timeline.add({ ...d2, startMs: Date.now(), visible: 3, churn: CHURN });
    await waitFor('s1, f2 and d2 back in Redis', async () => ((await Promise.all(readded.map(inRedis))).every(Boolean) ? true : undefined), { timeoutMs: 20_000 });
    expect(await inRedis({ appId: APP, roomId: 's2' })).toBe(true);

    // Redis restarts with its data (an RDB written at shutdown): nothing is lost, the log goes on.
    trace('redis restart, data kept');
    const beforeRestart = await lastStreamId();
    await redis.restart({ keepData: true });
    await waitFor('commits again after the restart', async () => ((await lastStreamId().catch(() => 0)) > beforeRestart && (await set.leader()) !== undefined ? true : undefined), { timeoutMs: 30_000 });

    trace('chaos 2: pause');
    // Chaos 2: the leader pauses past its lease, holding the failing receiver's backlog.
    await chaosPause();
    await pauseLeader();
    receiver.up = true;

    // Before Redis loses its data: every room quiet and polled twice more, every id at the webhook and in
    // every events file, so what the loss takes is known exactly.
    const quiesce = async (what: string): Promise<void> => {
      for (const r of all) sim!.world.setChurn({ paused: true }, r.appId, r.roomId);
      const targets = all.map((r) => served(r).length + 2);
      await waitFor(`two more polls of every room (${what})`, () => (all.every((r, i) => served(r).length >= targets[i]!) ? true : undefined), { timeoutMs: 30_000 });
      const last = await lastStreamId();
      await waitFor(`every id at the webhook (${what})`, async () => ((await readStream(client, `${PREFIX}events`)).every((e) => receiver.delivered.has(e.id)) ? true : undefined), { timeoutMs: 40_000, intervalMs: 200 });
      await waitFor(`every events file at id ${last} (${what})`, () => (files.every((f) => (readEventsFile(f).at(-1)?.id ?? 0) >= last) ? true : undefined), { timeoutMs: 20_000 });
    };
    trace('quiesce');
    await quiesce('before the data loss');
    const before = await readStream(client, `${PREFIX}events`);
    const servedBefore = new Map(all.map((r) => [key(r), served(r).slice()]));

    // Redis restarts empty: no stream, no counter, no lease, no room.
    trace('redis restart, data lost');
    const lostAtMs = Date.now();
    await redis.restart({ keepData: false });
    for (const r of all) sim.world.setChurn({ paused: false }, r.appId, r.roomId);
    await waitFor('commits after the data loss', async () => ((await lastStreamId().catch(() => 0)) > 0 ? true : undefined), { timeoutMs: 30_000 });

    trace('chaos 3, 4');
    // Chaos 3 and 4, on the new log.
    await chaosPause();
    await set.killAndRelaunch(await set.waitForLeader('a leader to kill'));
    await chaosPause();
    await pauseLeader();

    trace('quiesce at the end');
    await quiesce('at the end');
    const after = await readStream(client, `${PREFIX}events`);
    await set.stopAll();

    trace('checks');
    trace(`events: ${before.length} before the loss (ids ${before[0]?.id}..${before.at(-1)?.id}), ${after.length} after (ids ${after[0]?.id}..${after.at(-1)?.id}); per room after: ${all.map((r) => `${r.roomId} ${after.filter((e) => e.roomId === r.roomId).length}`).join(', ')}; posts ${receiver.posts.length}`);
    // --- The log before the loss: one log per room from its first answer, two segments where a room expired.
    const byId = (events: readonly StreamEvent[]): void => {
      for (let i = 1; i < events.length; i++) expect(events[i]!.id).toBeGreaterThan(events[i - 1]!.id);
    };
    byId(before);
    expect(before.length).toBeGreaterThan(10);
    for (const r of all) {
      const log = servedBefore.get(key(r))!;
      const end = lastServed(log);
      if (readded.some((x) => key(x) === key(r))) {
        const first = before.filter((e) => e.committedMs < readdedAtMs);
        const second = before.filter((e) => e.committedMs >= readdedAtMs);
        const firstEnd = replayRoom(log[0]!, first, r.roomId);
        // The first segment ends where a served answer before the room expired left it (d2: closed, empty).
        expect(log.filter((s) => s.at < readdedAtMs).some((s) => sameMembers(firstEnd, new Map([...members(s)].sort())))).toBe(true);
        replayFromFreshBaseline(log.filter((s) => s.at >= readdedAtMs), second, r.roomId, end);
      } else {
        expect(replayRoom(log[0]!, before, r.roomId)).toEqual(end);
      }
    }

    // --- The log after the loss: above every id seen before, each room re-baselined without events.
    byId(after);
    expect(after.length).toBeGreaterThan(5);
    expect(after[0]!.id).toBeGreaterThan(before.at(-1)!.id);
    for (const r of all) {
      const log = served(r);
      replayFromFreshBaseline(log.filter((s) => s.at >= lostAtMs), after, r.roomId, lastServed(log));
    }

    // --- Sinks: every id at the webhook; each events file in id order, none twice, nothing unknown, and
    // (all caught up before the loss) every id committed after the loss.
    for (const e of [...before, ...after]) expect(receiver.delivered.has(e.id)).toBe(true);
    const known = new Set([...before, ...after].map((e) => e.id));
    for (const file of files) {
      const ids = readEventsFile<LoggedEvent>(file).map((e) => e.id);
      for (let i = 1; i < ids.length; i++) if (ids[i]! <= ids[i - 1]!) throw new Error(`${file}: id ${ids[i]} after ${ids[i - 1]}`);
      expect(ids.filter((id) => !known.has(id))).toEqual([]);
      const inFile = new Set(ids);
      expect(after.filter((e) => !inFile.has(e.id)).map((e) => e.id)).toEqual([]);
    }
    // The cap held on the wire through everything (qps 20; the simulator's own scheduling on a shared
    // machine adds one now and then, as in the other cap tests).
    expect(sim.stats().maxRequestsInAnyWindow).toBeLessThanOrEqual(QPS + 1);
  }, 240_000);
});
