import type { ScenarioContext } from '../context';
import { DaemonChild } from '../daemon-child';
import { cpuSeconds, rssBytes } from '../proc-usage';
import type { CostParams } from '../profiles';
import { SectionResult, fmt } from '../report';
import { BENCH_CREDENTIALS, baseConfig, benchRooms, configRooms, startSimulator } from '../sim-world';
import { median, slope } from '../stats';
import { sleep } from '../wait';

/**
 * Scenario 4: the daemon's CPU (% of one core) and resident memory while it polls continuously at `qps`,
 * for rooms of different sizes. The same number of rooms each time, so the RSS difference is what the
 * members cost; the slope of RSS over tracked members is the cost per member. CPU and RSS are read
 * from /proc/<pid> of the daemon process only (the simulator runs in the harness process).
 */

export interface CostRun {
  members: number;
  rooms: number;
  trackedMembers: number;
  measureSeconds: number;
  achievedQps: number;
  cpuPercent: number;
  rssMedian: number;
  rssMax: number;
  /** RSS right after a forced full GC (probe). */
  rssAfterGc: number;
  heapUsedAfterGc: number;
}

export async function measureCost(p: CostParams, members: number, ctx: ScenarioContext): Promise<CostRun> {
  const cycleS = p.rooms / p.qps;
  ctx.log(`cost: ${p.rooms} rooms of ${members} members at qps ${p.qps}, ${p.measureS} s`);
  const { sim, endpoint } = await startSimulator(benchRooms(p.rooms, members));
  let daemon: DaemonChild | undefined;
  try {
    // Every second: the limiter, not the schedule, sets the pace, so the daemon works at `qps` throughout.
    daemon = await DaemonChild.start({
      config: baseConfig(endpoint, p.qps, '* * * * * *', configRooms(p.rooms)),
      credentials: BENCH_CREDENTIALS,
      cpuProfileDir: ctx.cpuProfileDir,
    });
    await daemon.waitFor('/-/ready', cycleS * 1000 + 60_000);
    await sleep(p.settleCycles * cycleS * 1000);

    const pid = daemon.pid;
    const rss: number[] = [];
    const r0 = sim.stats().requests;
    const c0 = cpuSeconds(pid);
    const t0 = performance.now();
    const end = t0 + p.measureS * 1000;
    while (performance.now() < end) {
      await sleep(Math.min(1000, end - performance.now()));
      rss.push(rssBytes(pid));
    }
    const c1 = cpuSeconds(pid);
    const r1 = sim.stats().requests;
    const seconds = (performance.now() - t0) / 1000;
    const dump = await daemon.probe();
    return {
      members,
      rooms: p.rooms,
      trackedMembers: p.rooms * members,
      measureSeconds: seconds,
      achievedQps: (r1 - r0) / seconds,
      cpuPercent: ((c1 - c0) / seconds) * 100,
      rssMedian: median(rss),
      rssMax: Math.max(...rss),
      rssAfterGc: rssBytes(pid),
      heapUsedAfterGc: dump.memory.heapUsed,
    };
  } finally {
    await daemon?.stop();
    await sim.stop();
  }
}

export interface MemberCost {
  /** Bytes per tracked member from the slope of steady RSS (median of 1 s samples). */
  rssSlope: number;
  /** The same from RSS after a forced GC: what the members themselves retain. */
  rssAfterGcSlope: number;
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

export function costSection(runs: readonly CostRun[], p: CostParams): SectionResult {
  const perMember = memberCost(runs);
  const at1000 = runs.find((r) => r.members === 1000);
  const checks = [];
  if (at1000) checks.push({ what: 'CPU with 1,000-member rooms', target: '≤ 5 % of a core', measured: fmt.pct(at1000.cpuPercent), pass: at1000.cpuPercent <= 5 });
  checks.push({ what: 'bytes per tracked member (steady RSS slope)', target: '≤ 150', measured: fmt.n(perMember.rssSlope), pass: perMember.rssSlope <= 150 });
  return {
    id: 'cost',
    setup: `${p.rooms} static rooms per run (9 in 10 members visible), qps ${p.qps}, schedule every second (so the limiter sets the pace), measured over ${p.measureS} s after the first full cycle plus ${p.settleCycles} more. CPU = (utime + stime) of the daemon process from /proc/<pid>/stat over the window; RSS sampled once a second from /proc/<pid>/status; "after GC" = after a full GC forced by the bench probe.`,
    tables: [
      {
        headers: ['members / room', 'tracked members', 'achieved req/s', 'CPU (% of one core)', 'RSS median', 'RSS max', 'RSS after GC', 'heap used after GC'],
        rows: runs.map((r) => [
          fmt.n(r.members),
          fmt.n(r.trackedMembers),
          fmt.n(r.achievedQps, 1),
          fmt.pct(r.cpuPercent),
          fmt.mib(r.rssMedian),
          fmt.mib(r.rssMax),
          fmt.mib(r.rssAfterGc),
          fmt.mib(r.heapUsedAfterGc),
        ]),
      },
      {
        headers: ['bytes per tracked member (least-squares slope)', 'value'],
        rows: [
          ['steady RSS (median)', fmt.n(perMember.rssSlope)],
          ['RSS after forced GC', fmt.n(perMember.rssAfterGcSlope)],
          ['V8 heap used after forced GC', fmt.n(perMember.heapAfterGcSlope)],
        ],
      },
    ],
    checks,
    notes: [],
    data: { runs, perMember },
  };
}
