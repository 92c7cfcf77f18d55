import { mkdirSync } from 'node:fs';
import { runInfo } from './machine';
import type { CostParams } from './profiles';
import { measureCost, measureReference } from './scenarios/cost';
import { median } from './stats';

/**
 * `node dist/bench/cost-ratio.js [--rounds N] [--rooms N] [--members N] [--seconds S] [--qps Q]
 * [--state memory|sqlite] [--cpu-prof DIR]`: issue #13's check, the daemon's CPU and RSS against the bare
 * reference poller (bench/reference-client.ts) in the same run. Rounds alternate daemon and reference so
 * a change in machine load hits both; the ratio is per achieved request (CPU ÷ req/s on each side), and
 * the verdict uses the median over rounds.
 */

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

async function main(): Promise<void> {
  const rounds = Number(arg('rounds', '3'));
  const rooms = Number(arg('rooms', '100'));
  const members = Number(arg('members', '1000'));
  const state = arg('state', 'memory');
  const cpuProfileDir = process.argv.includes('--cpu-prof') ? arg('cpu-prof', '') : undefined;
  if (cpuProfileDir) mkdirSync(cpuProfileDir, { recursive: true });
  const p: CostParams = { qps: Number(arg('qps', '35')), rooms, memberCounts: [members], settleCycles: 1, measureS: Number(arg('seconds', '20')), referenceMembers: members, perMember: { members, roomCounts: [] } };
  const info = runInfo(process.argv.slice(1).join(' '), 'cost-ratio');
  console.log(`${info.revision}; ${info.node}, ${info.cpus}, ${info.memory}; load ${info.loadAverage}; ${info.date}`);
  const ctx = { log: (line: string) => console.log(`  ${line}`), cpuProfileDir };
  const extra = state === 'sqlite' ? { state: { backend: 'sqlite', file: 'state.db' } } : { state: { backend: 'memory' } };
  const ratios: number[] = [];
  const rssOver: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const d = await measureCost(p, rooms, members, ctx, extra);
    const ref = await measureReference(p, members, ctx);
    const ratio = d.cpuPercent / d.achievedQps / (ref.cpuPercent / ref.achievedQps);
    ratios.push(ratio);
    rssOver.push((d.rssMedian - ref.rssMedian) / 2 ** 20);
    const mib = (b: number): string => `${(b / 2 ** 20).toFixed(1)} MiB`;
    console.log(
      `round ${r + 1}: daemon (${state}) ${d.cpuPercent.toFixed(1)} % at ${d.achievedQps.toFixed(1)} req/s, RSS ${mib(d.rssMedian)} (heap ${mib(d.heapUsedAfterGc)} / ${mib(d.heapTotalAfterGc)} after GC, young generation ${mib(d.newSpaceAfterGc)}); ` +
        `reference ${ref.cpuPercent.toFixed(1)} % at ${ref.achievedQps.toFixed(1)} req/s, RSS ${mib(ref.rssMedian)}; ratio ${ratio.toFixed(2)} ×, RSS +${mib(d.rssMedian - ref.rssMedian)}`,
    );
  }
  console.log(`median: CPU ratio ${median(ratios).toFixed(2)} × (per achieved request), RSS over the reference +${median(rssOver).toFixed(1)} MiB; load now ${runInfo('', '').loadAverage}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
