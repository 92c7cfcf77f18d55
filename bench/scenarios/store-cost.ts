import type { ScenarioContext } from '../context';
import { DaemonChild } from '../daemon-child';
import type { StoreParams } from '../profiles';
import { SectionResult, fmt } from '../report';
import { BENCH_CREDENTIALS, baseConfig, benchRooms, configRooms, startSimulator } from '../sim-world';
import { sleep } from '../wait';
import { measureUsage, Usage } from './cost';

/**
 * Scenario 7: what the durable store costs. The same daemon, rooms and rate with `state.backend: sqlite`
 * (the default) and `memory`, for static rooms and for heavy churn, one run after the other. The events
 * file is on in every run, so both backends deliver the same lines and the difference is the store.
 */

export interface StoreRun extends Usage {
  backend: 'sqlite' | 'memory';
  world: 'static' | 'churn';
  /** Events per second the daemon committed during the window. */
  eventsPerSecond: number;
}

async function measureOne(p: StoreParams, backend: StoreRun['backend'], world: StoreRun['world'], ctx: ScenarioContext): Promise<StoreRun> {
  ctx.log(`store: ${backend}, ${world}, ${p.rooms} rooms of ${p.members} at qps ${p.qps}, ${p.measureS} s`);
  const rooms = benchRooms(p.rooms, p.members).map((r) => (world === 'churn' ? { ...r, churn: p.churn } : r));
  const { sim, endpoint } = await startSimulator(rooms);
  const cycleS = p.rooms / p.qps;
  let daemon: DaemonChild | undefined;
  try {
    daemon = await DaemonChild.start({
      config: {
        ...baseConfig(endpoint, p.qps, '* * * * * *', configRooms(p.rooms)),
        events: { log: false, file: 'events.ndjson' },
        state: { backend, file: 'data/state.db' },
      },
      credentials: BENCH_CREDENTIALS,
      cpuProfileDir: ctx.cpuProfileDir,
    });
    await daemon.waitFor('/-/ready', cycleS * 1000 + 60_000);
    await sleep(p.settleCycles * cycleS * 1000);
    const e0 = await eventsTotal(daemon.url);
    const usage = await measureUsage(daemon.pid, sim, p.measureS);
    const e1 = await eventsTotal(daemon.url);
    return { ...usage, backend, world, eventsPerSecond: (e1 - e0) / usage.measureSeconds };
  } finally {
    await daemon?.stop();
    await sim.stop();
  }
}

async function eventsTotal(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith('rtc_events_total{')) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

export async function measureStoreCost(p: StoreParams, ctx: ScenarioContext): Promise<StoreRun[]> {
  const runs: StoreRun[] = [];
  for (const world of ['static', 'churn'] as const) {
    for (const backend of ['memory', 'sqlite'] as const) runs.push(await measureOne(p, backend, world, ctx));
  }
  return runs;
}

export function storeSection(runs: StoreRun[], p: StoreParams): SectionResult {
  const checks = [];
  for (const world of ['static', 'churn'] as const) {
    const mem = runs.find((r) => r.world === world && r.backend === 'memory');
    const sql = runs.find((r) => r.world === world && r.backend === 'sqlite');
    if (!mem || !sql) continue;
    const added = (sql.cpuPercent / mem.cpuPercent - 1) * 100;
    checks.push({ what: `CPU added by the SQLite store, ${world} rooms`, target: '≤ 20 %', measured: fmt.pct(added), pass: added <= 20 });
  }
  return {
    id: 'store',
    setup: `${p.rooms} rooms of ${p.members} members (9 in 10 visible), qps ${p.qps}, schedule every second, events file on, stdout log off; "churn" = ${p.churn.joinsPerMinute} joins, ${p.churn.leavesPerMinute} leaves and ${p.churn.visibilityChangesPerMinute} visibility changes per room per minute. Each run measured over ${p.measureS} s after the first full cycle plus ${p.settleCycles} more; CPU = utime + stime of the daemon process from /proc/<pid>/stat, RSS sampled once a second.`,
    tables: [
      {
        headers: ['rooms', 'backend', 'achieved req/s', 'events/s', 'CPU (% of one core)', 'of which kernel', 'CPU ms per request', 'RSS median', 'RSS max'],
        rows: runs.map((r) => [r.world, r.backend, fmt.n(r.achievedQps, 1), fmt.n(r.eventsPerSecond, 1), fmt.pct(r.cpuPercent), fmt.pct(r.systemPercent), fmt.n((r.cpuPercent * 10) / r.achievedQps, 2), fmt.mib(r.rssMedian), fmt.mib(r.rssMax)]),
      },
    ],
    checks,
    notes: ['"CPU ms per request" divides the CPU by the requests actually made: on a loaded machine the achieved rate differs between runs, and the daemon\'s CPU follows it.', 'Static rooms write nothing per poll (an unchanged room commits no transaction); churn commits one transaction per changed room per poll, with only the changed member rows and the events.'],
    data: runs,
  };
}
