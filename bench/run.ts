import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseRunArgs, RunOptions, USAGE } from './args';
import type { ScenarioContext } from './context';
import { runInfo } from './machine';
import { DEFAULT_REPORT } from './paths';
import { PROFILES } from './profiles';
import { renderSectionText, SectionResult, updateReport } from './report';
import { costSection, measureAllCosts } from './scenarios/cost';
import { diffSection, measureDiff } from './scenarios/diff';
import { freshnessSection, FreshnessRun, measureFreshness } from './scenarios/freshness';
import { measureScrape, scrapeSection, ScrapeRun } from './scenarios/scrape';
import { measureThrottle, throttleSection } from './scenarios/throttle';
import { measureTurnover, turnoverSection } from './scenarios/turnover';
import { capSection, measureSteady, saturationSection, SteadyRun } from './scenarios/steady-rate';
import { measureStatus, SAMPLER_PASSES, samplerPasses, statusSection, StatusRun } from './scenarios/status';
import { measureStoreCost, storeSection } from './scenarios/store-cost';

/**
 * `npm run bench -- [options]`: runs the selected scenarios one after another (never two daemons at once:
 * they would share the 2 cores and skew each other), prints a table per scenario, and updates the
 * scenarios' sections of BENCHMARKS.md. Exits 0 when the runs completed, whether or not targets were met
 * (the report says which were); 1 when a run failed; 2 on bad arguments.
 */

export async function runBenchmarks(opts: RunOptions, ctx: ScenarioContext): Promise<SectionResult[]> {
  const profile = PROFILES[opts.profile];
  const sections: SectionResult[] = [];
  const has = (id: string): boolean => (opts.scenarios as string[]).includes(id);
  const emit = (s: SectionResult): void => {
    sections.push(s);
    ctx.log(`\n${renderSectionText(s)}\n`);
  };

  if (has('cap') || has('saturation')) {
    const runs: SteadyRun[] = [];
    for (const qps of profile.steady.qpsList) runs.push(await measureSteady(profile.steady, qps, ctx));
    if (has('cap')) emit(capSection(runs, profile.steady));
    if (has('saturation')) emit(saturationSection(runs, profile.steady));
  }
  if (has('freshness')) {
    const runs: FreshnessRun[] = [];
    for (const c of profile.freshness) runs.push(await measureFreshness(c, ctx));
    emit(freshnessSection(runs));
  }
  if (has('cost')) {
    emit(costSection(await measureAllCosts(profile.cost, ctx), profile.cost));
  }
  if (has('scrape')) {
    const runs: ScrapeRun[] = [];
    for (const rooms of profile.scrape.roomCounts) runs.push(await measureScrape(profile.scrape, rooms, ctx));
    emit(scrapeSection(runs, profile.scrape));
  }
  if (has('diff')) emit(diffSection(measureDiff(profile.diff, ctx), profile.diff));
  if (has('status')) {
    const runs: StatusRun[] = [];
    for (const rooms of profile.status.roomCounts) runs.push(await measureStatus(profile.status, rooms, ctx));
    const sampler = profile.status.samplerRoomCounts.map((rooms) => samplerPasses(rooms, SAMPLER_PASSES));
    emit(statusSection(runs, sampler, profile.status));
  }
  if (has('store')) emit(storeSection(await measureStoreCost(profile.store, ctx), profile.store));
  if (has('throttle')) emit(throttleSection(await measureThrottle(profile.throttle, ctx), profile.throttle));
  if (has('turnover')) emit(turnoverSection(await measureTurnover(profile.turnover, ctx), profile.turnover));
  return sections;
}

async function main(argv: string[]): Promise<number> {
  const parsed = parseRunArgs(argv, DEFAULT_REPORT);
  if ('error' in parsed) {
    process.stderr.write(`${parsed.error}\n\n${USAGE}`);
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const command = ['npm run bench', ...(argv.length > 0 ? ['--', ...argv] : [])].join(' ');
  const run = runInfo(command, parsed.profile);
  const log = (line: string): void => void process.stdout.write(`${line}\n`);
  log(`rtc-room-monitor benchmarks: ${parsed.scenarios.join(', ')} (${parsed.profile}); Node ${run.node}, ${run.cpus}, ${run.memory}, load ${run.loadAverage}`);
  if (parsed.cpuProfileDir) mkdirSync(resolve(parsed.cpuProfileDir), { recursive: true });

  const started = performance.now();
  const sections = await runBenchmarks(parsed, { log, cpuProfileDir: parsed.cpuProfileDir && resolve(parsed.cpuProfileDir) });
  log(`done in ${((performance.now() - started) / 1000).toFixed(0)} s`);

  if (parsed.out) {
    const existing = existsSync(parsed.out) ? readFileSync(parsed.out, 'utf8') : undefined;
    writeFileSync(parsed.out, updateReport(existing, run, sections));
    log(`updated ${parsed.out}`);
  }
  if (parsed.json) {
    writeFileSync(parsed.json, `${JSON.stringify({ run, sections: sections.map((s) => ({ id: s.id, checks: s.checks, data: s.data })) }, null, 2)}\n`);
    log(`wrote ${parsed.json}`);
  }
  const failed = sections.flatMap((s) => s.checks.filter((c) => !c.pass).map((c) => `${s.id}: ${c.what} (${c.measured}, target ${c.target})`));
  log(failed.length === 0 ? 'all targets met' : `targets missed:\n  ${failed.join('\n  ')}`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`benchmark failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
