import { closeSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Simulator } from '../src/simulator';
import { callbackBody } from '../src/simulator/callback-pusher';
import type { WorldChange } from '../src/simulator/world';
import { DaemonChild } from './daemon-child';
import { runInfo } from './machine';
import { BENCH_APP, BENCH_CREDENTIALS, configRooms, roomId } from './sim-world';
import { maxInWindow, median, percentile } from './stats';
import { cpuSeconds } from './proc-usage';
import { sleep, waitUntil } from './wait';

/**
 * Vendor callbacks (issue #19), two measurements:
 *
 * delay: R rooms of M members with churn at qps Q (a sweep every R/Q s), the simulator pushing a callback
 *   for every change, delayed 0-500 ms, 3 % lost, 3 % sent twice, 2 % held back. For each change of the
 *   simulator's world: the time until its event is in the events file (read as it grows). Then churn stops,
 *   one sweep runs, and every room's log is replayed: it must be consistent and equal to the world.
 *   `--mode poll` runs the same without callbacks (polling alone).
 * intake: signed callbacks posted as fast as C concurrent clients can for S seconds to a daemon with the
 *   SQLite store: accepted per second and the latency of the 200.
 *
 *   npm run build && node dist/bench/callbacks.js [--part delay|intake|both] [--rooms 2000] [--members 20]
 *     [--qps 35] [--seconds 180] [--mode callbacks|poll] [--concurrency 32] [--intake-seconds 10]
 *     [--strategy round-robin|adaptive] [--schedule CRON] [--skew] [--warmup-seconds 0]
 *
 * With `--mode poll --skew` and each strategy (run side by side, each with its own simulator) it is also
 * issue #20's real-time comparison: detection delay of busy and idle rooms, and the longest poll gap.
 * `--warmup-seconds W` reports the changes of the first W seconds of churn (the estimator's learning) and
 * those after them (steady state) apart, besides the whole run.
 */

const SECRET = 'bench-callback-secret';

interface FileEvent {
  id: number;
  time: string;
  type: string;
  roomId: string;
  userId: string;
  visibility: string;
  source?: string;
}

/** Follows an NDJSON file as it grows, noting when each event first appeared. */
class FileFollower {
  private offset = 0;
  private rest = '';
  readonly events: { e: FileEvent; seenMs: number }[] = [];
  constructor(private readonly file: string) {}
  read(): void {
    let size: number;
    try {
      size = statSync(this.file).size;
    } catch {
      return;
    }
    if (size <= this.offset) return;
    const fd = openSync(this.file, 'r');
    try {
      const buf = Buffer.alloc(size - this.offset);
      readSync(fd, buf, 0, buf.length, this.offset);
      this.offset = size;
      const now = Date.now();
      const text = this.rest + buf.toString('utf8');
      const lines = text.split('\n');
      this.rest = lines.pop() ?? '';
      for (const l of lines) if (l.trim() !== '') this.events.push({ e: JSON.parse(l) as FileEvent, seenMs: now });
    } finally {
      closeSync(fd);
    }
  }
}

type Members = Map<string, string>;

/** Replays a room's events onto its first served list; counts what breaks a consistent log. */
function replay(baseline: Members, events: readonly FileEvent[]): { members: Members; inconsistencies: number } {
  const m = new Map(baseline);
  let bad = 0;
  for (const e of events) {
    const was = m.get(e.userId);
    if (e.type === 'join') {
      if (was !== undefined) bad++;
      m.set(e.userId, e.visibility);
    } else if (e.type === 'leave') {
      if (was === undefined) bad++;
      m.delete(e.userId);
    } else {
      if (was === undefined || was === e.visibility) bad++;
      m.set(e.userId, e.visibility);
    }
  }
  return { members: m, inconsistencies: bad };
}

const sorted = (m: Members): string => JSON.stringify([...m].sort());

interface DelayOptions {
  rooms: number;
  members: number;
  qps: number;
  seconds: number;
  mode: string;
  strategy: string;
  schedule: string;
  /** A tenth of the rooms carry nine tenths of the changes (else every room churns alike). */
  skew: boolean;
  /**
   * The first seconds of churn left out of the steady-state figures (reported apart): the adaptive
   * estimator learns the rooms' rates over the first sweeps, and the issue's comparison is of the rule,
   * not of its start-up. 0 reports the whole run only.
   */
  warmupSeconds: number;
  /** The world's seed: both strategies run with the same one face the same changes. */
  seed: number;
}

/** Rooms with an index below this are the busy tenth of a skewed world. */
const busyRooms = (rooms: number): number => Math.round(rooms / 10);

async function delayPart(opts: DelayOptions): Promise<Record<string, unknown>> {
  const changes: WorldChange[] = [];
  const churnPerMinute = 1.2; // joins and leaves per room per minute: 2,000 rooms make ~40 changes a second
  // Skewed: the same total, nine tenths of it in the busy tenth (81 times an idle room's rate).
  const idleRate = (churnPerMinute * 0.1) / 0.9;
  const busyRate = churnPerMinute * 9;
  const sim = new Simulator({
    credentials: BENCH_CREDENTIALS,
    rooms: Array.from({ length: opts.rooms }, (_, i) => ({
      appId: BENCH_APP,
      roomId: roomId(i),
      visible: opts.members - 2,
      invisible: 2,
      ...(opts.skew ? { churn: i < busyRooms(opts.rooms) ? { joinsPerMinute: busyRate, leavesPerMinute: busyRate } : { joinsPerMinute: idleRate, leavesPerMinute: idleRate } } : {}),
    })),
    // Paused until the daemon has its baselines; every room churns alike from then on.
    defaultChurn: { joinsPerMinute: churnPerMinute, leavesPerMinute: churnPerMinute, visibilityChangesPerMinute: opts.skew ? 0 : 0.2, paused: true },
    recordServed: true,
    seed: opts.seed,
    onChange: (c) => void changes.push(c),
    callbacks: opts.mode === 'callbacks' ? { url: 'http://127.0.0.1:1/unset', secret: SECRET, lossProbability: 1 } : undefined,
  });
  const endpoint = await sim.start();
  const daemon = await DaemonChild.start({
    credentials: BENCH_CREDENTIALS,
    env: { RTC_CALLBACK_SECRET: SECRET },
    config: {
      api: { endpoint, timeoutMs: 5000 },
      rateLimit: { qps: opts.qps },
      schedule: opts.schedule,
      polling: { strategy: opts.strategy },
      state: { file: 'state.db' },
      events: { log: false, file: 'events.ndjson' },
      ...(opts.mode === 'callbacks' ? { callbacks: {} } : {}),
      rooms: configRooms(opts.rooms),
    },
  });
  const follower = new FileFollower(join(daemon.dir, 'events.ndjson'));
  try {
    await daemon.waitFor('/-/ready', 10 * 60_000);
    if (opts.mode === 'callbacks') {
      sim.setCallbackUrl(`${daemon.url}/callbacks/rtc`);
      sim.setCallbackFaults({ lossProbability: 0.03, duplicateProbability: 0.03, reorderProbability: 0.02, delayMinMs: 0, delayMaxMs: 500, reorderDelayMs: 500 });
    }
    const start = Date.now();
    const requestsBefore = sim.stats().requests;
    sim.world.setChurn({ paused: false });
    while (Date.now() - start < opts.seconds * 1000) {
      follower.read();
      await sleep(50);
    }
    sim.world.setChurn({ paused: true });
    const stoppedMs = Date.now();
    // One whole sweep that starts after the last callbacks could land and after the grace.
    await waitUntil(
      'a sweep of every room after the churn stopped',
      () => {
        follower.read();
        for (let i = 0; i < opts.rooms; i++) if (!sim.servedSnapshots(BENCH_APP, roomId(i)).some((s) => s.at > stoppedMs + 7000)) return undefined;
        return true;
      },
      20 * 60_000,
      200,
    );
    await sleep(2000);
    follower.read();
    // The daemon's own record of when each request left (the probe): the rate on the wire, free of the
    // simulator's scheduling, which shares this process with the world and the file follower. The release
    // of the request's bytes after its permit (the send gate), or the request's creation in a build without it.
    const dump = await daemon.probe();
    const sent = (dump.requestSends.length > 0 ? dump.requestSends : dump.requestStarts).filter((t) => t >= start);
    // BENCH_DUMP_SENDS=FILE keeps both lists, to look at the tightest rolling seconds afterwards.
    if (process.env.BENCH_DUMP_SENDS) writeFileSync(process.env.BENCH_DUMP_SENDS, JSON.stringify({ sends: dump.requestSends, starts: dump.requestStarts }));
    const requests = sim.stats().requests - requestsBefore;
    const elapsed = (Date.now() - start) / 1000;

    // Each change's first event: joins and leaves by (room, user, type) (ids are never reused); a
    // visibility change by the first one of that member at or after the change.
    const byKey = new Map<string, { e: FileEvent; seenMs: number }[]>();
    for (const x of follower.events) {
      const key = `${x.e.roomId}\u0000${x.e.userId}\u0000${x.e.type}`;
      const list = byKey.get(key);
      if (list) list.push(x);
      else byKey.set(key, [x]);
    }
    const delays: number[] = [];
    const delaysLost: number[] = [];
    const busyDelays: number[] = [];
    const idleDelays: number[] = [];
    // The same after the warm-up (changes at or after start + warmup) and during it.
    const steadyFrom = start + opts.warmupSeconds * 1000;
    const steady = { all: [] as number[], busy: [] as number[], idle: [] as number[], missed: 0 };
    const warm = { all: [] as number[], busy: [] as number[], idle: [] as number[], missed: 0 };
    const busyCut = busyRooms(opts.rooms);
    const isBusy = (rid: string): boolean => Number(rid.slice('room-'.length)) < busyCut;
    let missed = 0;
    for (const c of changes) {
      if (c.kind === 'destroy') continue;
      const type = c.kind === 'visibility' ? 'visibility_change' : c.kind;
      const found = (byKey.get(`${c.roomId}\u0000${c.userId}\u0000${type}`) ?? []).find((x) => x.seenMs >= c.atMs - 5);
      const part = c.atMs >= steadyFrom ? steady : warm;
      if (!found) {
        missed++;
        part.missed++;
        continue;
      }
      const seconds = (found.seenMs - c.atMs) / 1000;
      (found.e.source === 'callback' ? delays : delaysLost).push(seconds);
      (isBusy(c.roomId) ? busyDelays : idleDelays).push(seconds);
      part.all.push(seconds);
      (isBusy(c.roomId) ? part.busy : part.idle).push(seconds);
      if (process.env.BENCH_DEBUG && found.e.source === 'callback' && found.seenMs - c.atMs > 1500) {
        process.stderr.write(`slow: ${JSON.stringify(c)} -> ${JSON.stringify(found.e)} seen +${found.seenMs - c.atMs} ms\n`);
      }
    }
    let inconsistencies = 0;
    let roomsEqual = 0;
    // The longest gap between two polls of a room while the churn ran (the bound adaptive keeps).
    let longestGapS = 0;
    for (let i = 0; i < opts.rooms; i++) {
      const rid = roomId(i);
      const served = sim.servedSnapshots(BENCH_APP, rid);
      const first = served[0]!;
      const times = served.map((x) => x.at).filter((t) => t >= start && t <= stoppedMs);
      for (let k = 1; k < times.length; k++) longestGapS = Math.max(longestGapS, (times[k]! - times[k - 1]!) / 1000);
      const base: Members = new Map([...first.invisible.map((u): [string, string] => [u, 'invisible']), ...first.visible.map((u): [string, string] => [u, 'visible'])]);
      const r = replay(base, follower.events.filter((x) => x.e.roomId === rid).map((x) => x.e));
      inconsistencies += r.inconsistencies;
      const w = sim.world.snapshot(BENCH_APP, rid);
      const world: Members = new Map([...w.invisible.map((u): [string, string] => [u, 'invisible']), ...w.visible.map((u): [string, string] => [u, 'visible'])]);
      if (sorted(r.members) === sorted(world)) roomsEqual++;
    }
    const f = (x: number): number => Math.round(x * 1000) / 1000;
    const all = [...delays, ...delaysLost];
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    const sentSteady = sent.filter((t) => t >= steadyFrom && t <= stoppedMs);
    const summary = (p: typeof steady, fromMs: number, toMs: number): Record<string, unknown> => ({
      seconds: f((toMs - fromMs) / 1000),
      delayAllSeconds: { n: p.all.length, mean: f(mean(p.all)), p50: f(median(p.all)), p99: f(percentile(p.all, 99)) },
      delayBusyRoomsSeconds: { n: p.busy.length, mean: f(mean(p.busy)), p99: f(percentile(p.busy, 99)) },
      delayIdleRoomsSeconds: { n: p.idle.length, mean: f(mean(p.idle)), p99: f(percentile(p.idle, 99)) },
      changesNeverReported: p.missed,
    });
    return {
      mode: opts.mode,
      strategy: opts.strategy,
      schedule: opts.schedule,
      churn: opts.skew ? 'skewed (a tenth of the rooms carry nine tenths of the changes)' : 'uniform',
      seed: opts.seed,
      delayAllSeconds: { n: all.length, mean: f(mean(all)), p50: f(median(all)), p99: f(percentile(all, 99)) },
      delayBusyRoomsSeconds: { n: busyDelays.length, mean: f(mean(busyDelays)), p99: f(percentile(busyDelays, 99)) },
      delayIdleRoomsSeconds: { n: idleDelays.length, mean: f(mean(idleDelays)), p99: f(percentile(idleDelays, 99)) },
      ...(opts.warmupSeconds > 0
        ? {
            warmup: summary(warm, start, steadyFrom),
            steadyState: { ...summary(steady, steadyFrom, stoppedMs), requestsSentPerSecond: f(sentSteady.length / Math.max(1, (stoppedMs - steadyFrom) / 1000)) },
          }
        : {}),
      longestGapBetweenPollsSeconds: f(longestGapS),
      rooms: opts.rooms,
      members: opts.members,
      qps: opts.qps,
      churnSeconds: opts.seconds,
      worldChanges: changes.length,
      events: follower.events.length,
      eventsBySource: { callback: follower.events.filter((x) => x.e.source === 'callback').length, poll: follower.events.filter((x) => x.e.source !== 'callback').length },
      delayViaCallbackSeconds: { n: delays.length, p50: f(median(delays)), p99: f(percentile(delays, 99)), max: f(Math.max(...delays, 0)) },
      delayViaPollSeconds: { n: delaysLost.length, p50: f(median(delaysLost)), p99: f(percentile(delaysLost, 99)), max: f(Math.max(...delaysLost, 0)) },
      changesNeverReported: missed,
      logInconsistencies: inconsistencies,
      roomsEqualToWorldAfterSweep: `${roomsEqual} / ${opts.rooms}`,
      requestsPerSecond: f(requests / elapsed),
      maxRequestsSentInAnyRollingSecond: maxInWindow(sent),
      maxArrivalsInAnyRollingSecondAtSimulator: sim.stats().maxRequestsInAnyWindow,
      callbackPush: sim.callbackStats(),
    };
  } finally {
    await daemon.stop();
    await sim.stop();
  }
}

async function intakePart(opts: { concurrency: number; seconds: number }): Promise<Record<string, unknown>> {
  const ROOMS = 100;
  const sim = new Simulator({ credentials: BENCH_CREDENTIALS, rooms: Array.from({ length: ROOMS }, (_, i) => ({ appId: BENCH_APP, roomId: roomId(i), visible: 5 })), seed: 3 });
  const endpoint = await sim.start();
  const daemon = await DaemonChild.start({
    credentials: BENCH_CREDENTIALS,
    env: { RTC_CALLBACK_SECRET: SECRET },
    config: { api: { endpoint }, rateLimit: { qps: 10 }, schedule: '0 0 * * * *', state: { file: 'state.db' }, events: { log: false, file: 'events.ndjson' }, callbacks: { confirmAfterMs: 600_000 }, rooms: configRooms(ROOMS) },
  });
  try {
    await daemon.waitFor('/-/ready', 60_000);
    const latencies: number[] = [];
    const statuses = new Map<number, number>();
    let n = 0;
    const end = Date.now() + opts.seconds * 1000;
    const client = async (): Promise<void> => {
      while (Date.now() < end) {
        const i = n++;
        const body = callbackBody({ kind: 'join', appId: BENCH_APP, roomId: roomId(i % ROOMS), userId: `cb-${i}`, visibility: 'visible', atMs: Date.now() }, `bench-${i}`, 'abcd', SECRET);
        const t0 = performance.now();
        const res = await fetch(`${daemon.url}/callbacks/rtc`, { method: 'POST', body });
        await res.arrayBuffer();
        latencies.push(performance.now() - t0);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      }
    };
    const t0 = Date.now();
    const cpu0 = cpuSeconds(daemon.pid);
    await Promise.all(Array.from({ length: opts.concurrency }, client));
    const elapsed = (Date.now() - t0) / 1000;
    const cpu1 = cpuSeconds(daemon.pid);
    const ok = statuses.get(200) ?? 0;
    const daemonCpu = cpu1.user + cpu1.system - cpu0.user - cpu0.system;
    return {
      concurrency: opts.concurrency,
      seconds: Math.round(elapsed * 10) / 10,
      posted: latencies.length,
      statuses: Object.fromEntries(statuses),
      acceptedPerSecond: Math.round(ok / elapsed),
      // What the daemon itself spent: the posting client shares the machine, so this bounds the rate a
      // daemon with a core to itself would take.
      daemonCpuMsPerCallback: Math.round((daemonCpu * 1000 * 1000) / Math.max(1, ok)) / 1000,
      latencyMs: { p50: Math.round(median(latencies) * 10) / 10, p99: Math.round(percentile(latencies, 99) * 10) / 10, max: Math.round(Math.max(...latencies)) },
    };
  } finally {
    await daemon.stop();
    await sim.stop();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      part: { type: 'string', default: 'both' },
      rooms: { type: 'string', default: '2000' },
      members: { type: 'string', default: '20' },
      qps: { type: 'string', default: '35' },
      seconds: { type: 'string', default: '180' },
      mode: { type: 'string', default: 'callbacks' },
      strategy: { type: 'string', default: 'round-robin' },
      schedule: { type: 'string', default: '*/1 * * * * *' },
      skew: { type: 'boolean', default: false },
      'warmup-seconds': { type: 'string', default: '0' },
      seed: { type: 'string', default: '19' },
      concurrency: { type: 'string', default: '32' },
      'intake-seconds': { type: 'string', default: '10' },
    },
  });
  const out: Record<string, unknown> = { run: runInfo(`node dist/bench/callbacks.js ${process.argv.slice(2).join(' ')}`.trim(), 'callbacks') };
  if (values.part === 'intake' || values.part === 'both') out.intake = await intakePart({ concurrency: Number(values.concurrency), seconds: Number(values['intake-seconds']) });
  if (values.part === 'delay' || values.part === 'both') {
    out.delay = await delayPart({
      rooms: Number(values.rooms),
      members: Number(values.members),
      qps: Number(values.qps),
      seconds: Number(values.seconds),
      mode: values.mode ?? 'callbacks',
      strategy: values.strategy ?? 'round-robin',
      schedule: values.schedule ?? '*/1 * * * * *',
      skew: values.skew === true,
      warmupSeconds: Number(values['warmup-seconds']),
      seed: Number(values.seed),
    });
  }
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
