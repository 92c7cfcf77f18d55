import type { ChildProcess } from 'node:child_process';
import type { ScenarioContext } from '../context';
import { DaemonChild } from '../daemon-child';
import { cpuSeconds, rssBytes } from '../proc-usage';
import type { CostParams } from '../profiles';
import { SectionResult, Table, fmt } from '../report';
import { BENCH_CREDENTIALS, baseConfig, benchRooms, configRooms, spawnReference, startSimulator } from '../sim-world';
import type { Simulator } from '../../src/simulator';
import { median, slope } from '../stats';
import { sleep } from '../wait';

/**
 * Scenario 4: the daemon's CPU (% of one core) and resident memory while it polls continuously at `qps`,
 * for rooms of different sizes. The same number of rooms each time, so the RSS difference is what the
 * members cost; the slope of RSS over tracked members is the cost per member. CPU and RSS are read
 * from /proc/<pid> of the daemon process only (the simulator runs in the harness process).
 *
 * For scale, the same window is measured on bench/reference-client.ts: a bare signed node:http poller
 * at the same rate, i.e. roughly the floor for any Node poller on this machine.
 */

export interface Usage {
  measureSeconds: number;
  achievedQps: number;
  cpuPercent: number;
  /** The kernel's share of cpuPercent (socket I/O). */
  systemPercent: number;
  rssMedian: number;
  rssMax: number;
}

export interface CostRun extends Usage {
  members: number;
  rooms: number;
  trackedMembers: number;
  /** RSS right after a full GC forced by the probe. */
  rssAfterGc: number;
  heapUsedAfterGc: number;
  /** V8 heap committed after that GC (what the heap holds on to). */
  heapTotalAfterGc: number;
  /** Of that, the young generation (V8 new_space, physical). */
  newSpaceAfterGc: number;
}

export interface ReferenceRun extends Usage {
  members: number;
}

/** CPU over the window and RSS sampled once a second, for process `pid`, while `sim` counts requests. */
export async function measureUsage(pid: number, sim: Simulator, seconds: number): Promise<Usage> {
  const rss: number[] = [];
  const r0 = sim.stats().requests;
  const c0 = cpuSeconds(pid);
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  while (performance.now() < end) {
    await sleep(Math.min(1000, end - performance.now()));
    rss.push(rssBytes(pid));
  }
  const c1 = cpuSeconds(pid);
  const r1 = sim.stats().requests;
  const elapsed = (performance.now() - t0) / 1000;
  const system = c1.system - c0.system;
  return {
    measureSeconds: elapsed,
    achievedQps: (r1 - r0) / elapsed,
    cpuPercent: ((c1.user - c0.user + system) / elapsed) * 100,
    systemPercent: (system / elapsed) * 100,
    rssMedian: median(rss),
    rssMax: Math.max(...rss),
  };
}

/** @param extraConfig merged over the base config (for example `{ state: { backend: 'memory' } }`). */
export async function measureCost(p: CostParams, rooms: number, members: number, ctx: ScenarioContext, extraConfig: Record<string, unknown> = {}): Promise<CostRun> {
  const cycleS = rooms / p.qps;
  ctx.log(`cost: ${rooms} rooms of ${members} members at qps ${p.qps}, ${p.measureS} s`);
  const { sim, endpoint } = await startSimulator(benchRooms(rooms, members));
  let daemon: DaemonChild | undefined;
  try {
    // Every second: with more rooms than qps the limiter, not the schedule, sets the pace.
    daemon = await DaemonChild.start({
      config: { ...baseConfig(endpoint, p.qps, '* * * * * *', configRooms(rooms)), ...extraConfig },
      credentials: BENCH_CREDENTIALS,
      cpuProfileDir: ctx.cpuProfileDir,
    });
    await daemon.waitFor('/-/ready', cycleS * 1000 + 60_000);
    await sleep(p.settleCycles * cycleS * 1000);
    const usage = await measureUsage(daemon.pid, sim, p.measureS);
    const dump = await daemon.probe();
    return {
      ...usage,
      members,
      rooms,
      trackedMembers: rooms * members,
      rssAfterGc: rssBytes(daemon.pid),
      heapUsedAfterGc: dump.memory.heapUsed,
      heapTotalAfterGc: dump.memory.heapTotal,
      newSpaceAfterGc: dump.heapSpaces.new_space ?? 0,
    };
  } finally {
    await daemon?.stop();
    await sim.stop();
  }
}

/** The size series (fixed room count), the room-count series (fixed room size) and the reference client. */
export interface CostResults {
  bySize: CostRun[];
  byCount: CostRun[];
  reference?: ReferenceRun;
}

export async function measureAllCosts(p: CostParams, ctx: ScenarioContext): Promise<CostResults> {
  const bySize: CostRun[] = [];
  for (const members of p.memberCounts) bySize.push(await measureCost(p, p.rooms, members, ctx));
  const byCount: CostRun[] = [];
  for (const rooms of p.perMember.roomCounts) {
    const done = bySize.find((r) => r.rooms === rooms && r.members === p.perMember.members);
    byCount.push(done ?? (await measureCost(p, rooms, p.perMember.members, ctx)));
  }
  const reference = p.referenceMembers === undefined ? undefined : await measureReference(p, p.referenceMembers, ctx);
  return { bySize, byCount, reference };
}

export async function measureReference(p: CostParams, members: number, ctx: ScenarioContext): Promise<ReferenceRun> {
  ctx.log(`cost: reference client, rooms of ${members} members at ${p.qps} req/s, ${p.measureS} s`);
  const { sim, endpoint } = await startSimulator(benchRooms(p.rooms, members));
  let child: ChildProcess | undefined;
  try {
    const nodeArgs = ctx.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', ctx.cpuProfileDir, '--cpu-prof-name', `reference-${process.pid}-${Date.now()}.cpuprofile`] : [];
    child = spawnReference(endpoint, p.qps, p.rooms, nodeArgs);
    const pid = child.pid;
    if (pid === undefined) throw new Error('reference client did not start');
    // Past start-up and the first round of every room, like the daemon runs.
    await sleep(1000 + (p.rooms / p.qps) * 1000);
    return { ...(await measureUsage(pid, sim, p.measureS)), members };
  } finally {
    // SIGTERM: the client exits normally, so `--cpu-prof` writes its profile.
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await sim.stop();
  }
}

export interface MemberCost {
  /** Bytes per tracked member from the slope of steady RSS (median of 1 s samples). */
  rssSlope: number;
  /** The same from RSS after a forced GC. */
  rssAfterGcSlope: number;
  /** The same from the V8 heap in use after a forced GC: what the members themselves retain. */
  heapAfterGcSlope: number;
}

export function memberCost(runs: readonly CostRun[]): MemberCost {
  const x = runs.map((r) => r.trackedMembers);
  return {
    rssSlope: slope(x, runs.map((r) => r.rssMedian)),
    rssAfterGcSlope: slope(x, runs.map((r) => r.rssAfterGc)),
    heapAfterGcSlope: slope(x, runs.map((r) => r.heapUsedAfterGc)),
  };
}

function usageRow(r: CostRun): string[] {
  return [
    fmt.n(r.rooms),
    fmt.n(r.members),
    fmt.n(r.trackedMembers),
    fmt.n(r.achievedQps, 1),
    fmt.pct(r.cpuPercent),
    fmt.pct(r.systemPercent),
    fmt.mib(r.rssMedian),
    fmt.mib(r.rssMax),
    fmt.mib(r.rssAfterGc),
    `${fmt.mib(r.heapUsedAfterGc)} / ${fmt.mib(r.heapTotalAfterGc)}`,
  ];
}

const USAGE_HEADERS = ['rooms', 'members / room', 'tracked members', 'achieved req/s', 'CPU (% of one core)', 'of which kernel', 'RSS median', 'RSS max', 'RSS after GC', 'heap used / committed after GC'];

export function costSection(results: CostResults, p: CostParams): SectionResult {
  const { bySize, byCount, reference } = results;
  const perMember = memberCost(byCount);
  const bySizeSlope = memberCost(bySize);
  const at1000 = bySize.find((r) => r.members === 1000);
  const checks = [];
  if (at1000) checks.push({ what: 'CPU with 1,000-member rooms', target: '≤ 5 % of a core', measured: fmt.pct(at1000.cpuPercent), pass: at1000.cpuPercent <= 5 });
  checks.push({ what: 'bytes per tracked member (steady RSS slope over tracked members)', target: '≤ 150', measured: fmt.n(perMember.rssSlope), pass: perMember.rssSlope <= 150 });
  const bySizeTable: Table = { headers: ['process', ...USAGE_HEADERS], rows: bySize.map((r) => ['daemon', ...usageRow(r)]) };
  if (reference) {
    bySizeTable.rows.push(['reference client', fmt.n(p.rooms), fmt.n(reference.members), '-', fmt.n(reference.achievedQps, 1), fmt.pct(reference.cpuPercent), fmt.pct(reference.systemPercent), fmt.mib(reference.rssMedian), fmt.mib(reference.rssMax), '-', '-']);
  }
  return {
    id: 'cost',
    setup: `Static rooms (9 in 10 members visible), qps ${p.qps}, schedule every second (with more rooms than qps, the limiter sets the pace), measured over ${p.measureS} s after the first full cycle plus ${p.settleCycles} more. CPU = utime + stime of the daemon process (all its threads, GC included) from /proc/<pid>/stat over the window; RSS sampled once a second from /proc/<pid>/status; "after GC" = after a full GC forced by the bench probe. The reference client (bench/reference-client.ts) signs, GETs over node:http keep-alive and parses at the same rate and does nothing else: roughly the floor for a Node poller on this machine.`,
    tables: [
      bySizeTable,
      { headers: USAGE_HEADERS, rows: byCount.map(usageRow) },
      {
        headers: ['bytes per tracked member (least-squares slope)', `over room count (${fmt.n(p.perMember.members)}-member rooms)`, `over room size (${fmt.n(p.rooms)} rooms)`],
        rows: [
          ['steady RSS (median of samples)', fmt.n(perMember.rssSlope), fmt.n(bySizeSlope.rssSlope)],
          ['RSS after forced GC', fmt.n(perMember.rssAfterGcSlope), fmt.n(bySizeSlope.rssAfterGcSlope)],
          ['V8 heap used after forced GC (live data only)', fmt.n(perMember.heapAfterGcSlope), fmt.n(bySizeSlope.heapAfterGcSlope)],
        ],
      },
    ],
    checks,
    notes: [
      'The first table varies room size at a fixed room count (CPU and RSS per room size); the second varies the room count at a fixed room size, so only the number of tracked members changes. The target is checked on the second: over room size, the slope also counts the garbage of each larger response between major GCs, which grows with the size of one room, not with the members tracked.',
    ],
    data: results,
  };
}
