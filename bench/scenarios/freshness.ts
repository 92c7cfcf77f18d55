import type { ScenarioContext } from '../context';
import { DaemonChild } from '../daemon-child';
import type { FreshnessCase } from '../profiles';
import { SectionResult, fmt } from '../report';
import { BENCH_APP, BENCH_CREDENTIALS, baseConfig, benchRooms, configRooms, roomId, startSimulator } from '../sim-world';
import { intervals, percentile } from '../stats';
import { sleep } from '../wait';

/**
 * Scenario 3: for every room, the time between successive successful polls, as the simulator saw them
 * (its served log: the `at` of each 200 it wrote), divided by the physical optimum
 * max(schedule period, rooms / qps). Rooms have one member, so the served log stays small.
 */

export interface FreshnessRun {
  label: string;
  rooms: number;
  qps: number;
  schedule: string;
  optimumS: number;
  samples: number;
  min: number;
  p50: number;
  p99: number;
  max: number;
}

export async function measureFreshness(c: FreshnessCase, ctx: ScenarioContext): Promise<FreshnessRun> {
  const optimumS = Math.max(c.periodS, c.rooms / c.qps);
  ctx.log(`freshness (${c.label}): ${c.rooms} rooms at qps ${c.qps}, schedule ${c.schedule}, optimum ${optimumS.toFixed(2)} s, ${c.durationS} s`);
  const { sim, endpoint } = await startSimulator(benchRooms(c.rooms, 1), true);
  try {
    const daemon = await DaemonChild.start({
      config: baseConfig(endpoint, c.qps, c.schedule, configRooms(c.rooms)),
      credentials: BENCH_CREDENTIALS,
      cpuProfileDir: ctx.cpuProfileDir,
    });
    try {
      await sleep(c.durationS * 1000);
    } finally {
      await daemon.stop();
    }
    const ratios: number[] = [];
    for (let i = 0; i < c.rooms; i++) {
      const at = sim.servedSnapshots(BENCH_APP, roomId(i)).map((s) => s.at);
      for (const gapMs of intervals(at)) ratios.push(gapMs / 1000 / optimumS);
    }
    return {
      label: c.label,
      rooms: c.rooms,
      qps: c.qps,
      schedule: c.schedule,
      optimumS,
      samples: ratios.length,
      min: ratios.length ? Math.min(...ratios) : NaN,
      p50: percentile(ratios, 50),
      p99: percentile(ratios, 99),
      max: ratios.length ? Math.max(...ratios) : NaN,
    };
  } finally {
    await sim.stop();
  }
}

export function freshnessSection(runs: readonly FreshnessRun[]): SectionResult {
  return {
    id: 'freshness',
    setup: 'Per room, the gaps between successive successful responses the simulator served, as a ratio to max(schedule period, rooms / qps). Rooms are static with one member each.',
    tables: [
      {
        headers: ['case', 'rooms', 'qps', 'schedule', 'optimum', 'intervals', 'min', 'p50', 'p99', 'max'],
        rows: runs.map((r) => [
          r.label,
          String(r.rooms),
          String(r.qps),
          `\`${r.schedule}\``,
          `${r.optimumS.toFixed(2)} s`,
          fmt.n(r.samples),
          fmt.ratio(r.min),
          fmt.ratio(r.p50),
          fmt.ratio(r.p99),
          fmt.ratio(r.max),
        ]),
      },
    ],
    checks: runs.map((r) => ({ what: `p99 ratio, ${r.label}`, target: '≤ 1.05', measured: fmt.ratio(r.p99), pass: r.p99 <= 1.05 })),
    notes: [],
    data: runs,
  };
}
