import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PROFILES } from '../../bench/profiles';
import { SCENARIO_IDS } from '../../bench/report';
import type { CostResults } from '../../bench/scenarios/cost';
import type { DiffRun } from '../../bench/scenarios/diff';
import type { FreshnessRun } from '../../bench/scenarios/freshness';
import type { ScrapeRun } from '../../bench/scenarios/scrape';
import type { SteadyRun } from '../../bench/scenarios/steady-rate';
import type { SamplerRun, StatusRun } from '../../bench/scenarios/status';
import { chromiumRequirement } from '../support/browser';
import type { StoreRun } from '../../bench/scenarios/store-cost';
import type { ThrottleResults } from '../../bench/scenarios/throttle';
import type { TurnoverRun } from '../../bench/scenarios/turnover';

/**
 * The whole harness end to end at smoke size: the built runner (dist/bench/run.js, so `npm run build`
 * first, as `npm test` does) spawns the built daemon against the simulator for every scenario. The
 * numbers mean nothing at this size and on a shared machine, so only their shape and sanity are checked.
 */

const RUNNER = resolve(__dirname, '..', '..', 'dist', 'bench', 'run.js');

function runBench(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [RUNNER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('exit', (code) => done({ code, output }));
  });
}

/** The `data` of each section in --json output. */
interface SectionData {
  cap: SteadyRun[];
  saturation: Pick<SteadyRun, 'qps' | 'achievedQps'>[];
  freshness: FreshnessRun[];
  cost: CostResults;
  store: StoreRun[];
  scrape: ScrapeRun[];
  diff: DiffRun[];
  status: { runs: StatusRun[]; sampler: SamplerRun[] };
  throttle: ThrottleResults;
  turnover: TurnoverRun;
}

interface JsonReport {
  sections: { id: keyof SectionData; data: unknown }[];
}

describe('bench harness (smoke)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rtc-bench-smoke-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs every scenario, prints and updates the report around hand-written text', async () => {
    const out = join(dir, 'BENCHMARKS.md');
    const json = join(dir, 'results.json');
    writeFileSync(out, '# Benchmarks\n\nHand-written analysis that must survive.\n');

    const { code, output } = await runBench(['--smoke', '--out', out, '--json', json]);
    expect({ code, output }).toMatchObject({ code: 0 });

    const doc = readFileSync(out, 'utf8');
    expect(doc).toContain('Hand-written analysis that must survive.');
    for (const id of ['run', ...SCENARIO_IDS]) {
      expect(doc).toContain(`<!-- bench:${id}:begin -->`);
      expect(doc).toContain(`<!-- bench:${id}:end -->`);
    }
    expect(doc).toContain(`Node ${process.version}`);

    const report = JSON.parse(readFileSync(json, 'utf8')) as JsonReport;
    expect(report.sections.map((s) => s.id)).toEqual([...SCENARIO_IDS]);
    const data = Object.fromEntries(report.sections.map((s) => [s.id, s.data])) as unknown as SectionData;

    const steady = data.cap[0]!;
    expect(steady.totalRequests).toBeGreaterThan(0);
    expect(steady.serverMaxWindow).toBeGreaterThan(0);
    expect(steady.clientMaxWindow).toBeGreaterThan(0);
    expect(data.saturation[0]!.achievedQps).toBeGreaterThan(0);

    expect(data.freshness[0]!.samples).toBeGreaterThan(0);
    expect(data.freshness[0]!.p50).toBeGreaterThan(0.5);

    expect(data.cost.byCount.map((r) => r.rooms)).toEqual(PROFILES.smoke.cost.perMember.roomCounts);
    for (const run of [...data.cost.bySize, ...data.cost.byCount]) {
      expect(run.cpuPercent).toBeGreaterThanOrEqual(0);
      expect(run.rssMedian).toBeGreaterThan(10 * 2 ** 20);
      expect(run.heapUsedAfterGc).toBeGreaterThan(0);
    }
    expect(data.cost.reference?.achievedQps).toBeGreaterThan(0);

    expect(data.scrape[0]!.bytes).toBeGreaterThan(1000);
    expect(data.scrape[0]!.samples).toBeGreaterThan(100 * 8);
    expect(data.scrape[0]!.gzipBytes).toBeGreaterThan(100);
    expect(data.scrape[0]!.gzipBytes).toBeLessThan(data.scrape[0]!.bytes);
    expect(data.scrape[0]!.render.textBytes).toBeGreaterThan(1000);

    expect(data.diff.length).toBeGreaterThan(0);
    for (const d of data.diff) expect(d.membersPerSecond).toBeGreaterThan(0);

    const status = data.status.runs[0]!;
    expect(data.status.sampler.map((r) => r.rooms)).toEqual(PROFILES.smoke.status.samplerRoomCounts);
    for (const r of data.status.sampler) expect(r.medianMs).toBeGreaterThan(0);
    expect(status.api.map((a) => a.query)[0]).toBe('/api/rooms');
    for (const a of status.api) expect(a.bytes).toBeGreaterThan(100);
    // Without chromium the page loads are skipped (and the section says so).
    expect(status.pageLoadMs.length).toBe(chromiumRequirement().available ? PROFILES.smoke.status.pageLoads : 0);
    for (const ms of status.pageLoadMs) expect(ms).toBeGreaterThan(0);
    expect(data.store.map((r) => `${r.world}/${r.backend}`)).toEqual(['static/memory', 'static/sqlite', 'churn/memory', 'churn/sqlite']);
    for (const r of data.store) {
      expect(r.achievedQps).toBeGreaterThan(0);
      expect(r.rssMedian).toBeGreaterThan(10 * 2 ** 20);
    }
    expect(data.throttle.isolated[0]!.samples).toBeGreaterThan(0);
    expect(data.throttle.sustained.simCapQps).toBe(PROFILES.smoke.throttle.sustainedSimCapQps);
    expect(data.turnover.turning.samples).toBeGreaterThan(0);
    expect(data.turnover.joinsSeen).toBeGreaterThan(0);
  }, 300_000); // ten scenarios, each starting a daemon, plus a browser; minutes on a loaded 2-core machine

  it('runs the side-by-side CPU comparison (daemons and the reference at once)', async () => {
    const tool = resolve(__dirname, '..', '..', 'dist', 'bench', 'side-by-side.js');
    const { code, output } = await new Promise<{ code: number | null; output: string }>((done) => {
      const child = spawn(process.execPath, [tool, '--rooms', '5', '--members', '10', '--warm', '2', '--seconds', '2', '--daemon', 'mem=memory'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      child.stdout.on('data', (c: Buffer) => (text += c.toString()));
      child.stderr.on('data', (c: Buffer) => (text += c.toString()));
      // Killed (and so stopping its daemon and reference) before jest would give up on the test.
      const guard = setTimeout(() => child.kill('SIGTERM'), 50_000);
      child.on('exit', (exit) => {
        clearTimeout(guard);
        done({ code: exit, output: text });
      });
    });
    expect({ code, output }).toMatchObject({ code: 0 });
    expect(output).toMatch(/^mem +[\d.]+ % of a core at [\d.]+ req\/s, RSS [\d.]+ MiB; CPU [\d.]+ × the reference/m);
    expect(output).toMatch(/^reference +[\d.]+ % of a core at [1-9][\d.]* req\/s/m);
  }, 60_000);
});
