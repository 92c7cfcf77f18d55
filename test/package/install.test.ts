import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, relative, sep } from 'node:path';
import { parse } from 'yaml';
import { freePort } from '../support/free-port';
import { REPO_ROOT, repoPath } from '../support/repo-paths';
import { findExecutable, isCI } from '../support/required-tools';
import { SpawnedProcess } from '../support/spawned-process';
import { runCommand, writeTarballProject } from '../support/tarball-project';
import { waitFor } from '../support/wait-for';

// The package as a user gets it: `npm pack` (prepack builds it), the tarball installed with production
// dependencies only into an empty project, and the installed command run from a directory that has nothing
// of the repository in it. better-sqlite3 compiles on install here (no prebuilt binary offline), about two
// minutes on this machine: the one test in the suite that pays for that.

const INSTALL_TIMEOUT_MS = 10 * 60_000;
jest.setTimeout(INSTALL_TIMEOUT_MS);

/** Top-level entries of the checkout that are build output or local state, never package input. */
const NOT_COPIED = new Set(['node_modules', 'dist', '.git', '.demo', 'data', 'coverage', 'tmp', '.env']);

/**
 * Only what npm itself needs: `npm test` sets npm_config_local_prefix and friends to the checkout, which
 * would point the install back at the repository; VOLC_* must never reach the demo.
 */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: [dirname(process.execPath), process.env.PATH ?? ''].join(delimiter), HOME: process.env.HOME, LOG_LEVEL: 'warn' };
  if (process.env.TMPDIR) env.TMPDIR = process.env.TMPDIR;
  if (process.env.npm_config_cache) env.npm_config_cache = process.env.npm_config_cache;
  return env;
}

const env = cleanEnv();
const scratch = mkdtempSync(join(tmpdir(), 'rtc-package-'));
const stage = join(scratch, 'stage');
const packed = join(scratch, 'packed');
const project = join(scratch, 'project');
/** Where the user runs the commands: outside the repository and outside the install. */
const home = join(scratch, 'home');
const bin = join(project, 'node_modules', '.bin', 'rtc-room-monitor');
const cli = (args: string[], cwd = home) => runCommand(bin, args, { cwd, env });
let tarballFiles: string[] = [];
let demo: SpawnedProcess | undefined;

beforeAll(async () => {
  for (const dir of [stage, packed, project, home]) mkdirSync(dir, { recursive: true });
  // A copy of the checkout, so prepack's clean build never pulls dist/ from under the integration tests
  // that run beside this one; node_modules is shared through a link (prepack runs tsc from it).
  cpSync(REPO_ROOT, stage, {
    recursive: true,
    filter: (src) => !NOT_COPIED.has(relative(REPO_ROOT, src).split(sep)[0] ?? ''),
  });
  symlinkSync(repoPath('node_modules'), join(stage, 'node_modules'), 'dir');

  const pack = await runCommand('npm', ['pack', '--json', '--pack-destination', packed], { cwd: stage, env });
  if (pack.code !== 0) throw new Error(`npm pack failed (${pack.code}):\n${pack.stderr}`);
  const [info] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
  if (!info) throw new Error(`npm pack printed no package:\n${pack.stdout}`);
  tarballFiles = info.files.map((f) => f.path);

  writeTarballProject(project, repoPath('package-lock.json'), join(packed, info.filename));
  const install = await runCommand('npm', ['install', '--omit=dev', '--offline', '--no-audit', '--no-fund'], { cwd: project, env });
  if (install.code !== 0) throw new Error(`npm install of the tarball failed (${install.code}):\n${install.stdout}\n${install.stderr}`);
}, INSTALL_TIMEOUT_MS);

afterAll(async () => {
  await demo?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe('the npm package', () => {
  it('carries the compiled code, configs, rules, dashboards, README and LICENSE, and no tests, bench, sources or source maps', () => {
    expect(tarballFiles).toEqual(
      expect.arrayContaining([
        'package.json',
        'README.md',
        'LICENSE',
        'dist/src/cli.js',
        'dist/src/status/assets/index.html',
        'dist/src/status/assets/status.js',
        'dist/src/status/assets/status.css',
        'config/monitor.example.yaml',
        'config/demo.yaml',
        'config/prometheus/prometheus.yml',
        'config/prometheus/rules/alerts.yml',
        'grafana/dashboards/rtc-room-occupancy.json',
      ]),
    );
    const unwanted = tarballFiles.filter((f) => /^(src|test|bench|dist\/test|dist\/bench|node_modules)\/|\.map$|\.ts$|(^|\/)\.env/.test(f));
    expect(unwanted).toEqual([]);
    // prepack builds without source maps, so no shipped file points at a map that is not there.
    expect(readFileSync(join(stage, 'dist', 'src', 'cli.js'), 'utf8')).not.toContain('sourceMappingURL');
  });

  it('installs publishable, for Node 20, with production dependencies only', () => {
    const pkg = JSON.parse(readFileSync(join(project, 'node_modules', 'rtc-room-monitor', 'package.json'), 'utf8')) as { private?: boolean; engines?: { node?: string } };
    expect(pkg.private).toBeUndefined();
    expect(pkg.engines?.node).toBe('>=20');
    expect(existsSync(join(project, 'node_modules', 'better-sqlite3'))).toBe(true);
    for (const dev of ['typescript', 'jest', 'ts-jest', 'eslint', 'fast-check', 'playwright-core']) {
      expect(existsSync(join(project, 'node_modules', dev))).toBe(false);
    }
  });

  it('--version prints the package version', async () => {
    const res = await cli(['--version']);
    expect(res.stderr).toBe('');
    expect(res.stdout.trim()).toBe((JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { version: string }).version);
  });

  it('without a config, points the user at init', async () => {
    const res = await cli([]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('write a starter one with rtc-room-monitor init');
  });

  it('init writes a monitor.yaml that check-config accepts, and then refuses to overwrite it', async () => {
    const first = await cli(['init']);
    expect(first.code).toBe(0);
    expect(readdirSync(home)).toEqual(['monitor.yaml']);
    const written = readFileSync(join(home, 'monitor.yaml'), 'utf8');
    expect(written).toBe(readFileSync(repoPath('config', 'monitor.example.yaml'), 'utf8'));

    const check = await cli(['check-config', '--skip-credentials', '--config', 'monitor.yaml']);
    expect(check.stderr).toBe('');
    expect(check.code).toBe(0);
    expect(check.stdout).toContain('monitor.yaml: OK');

    // Again, with the observability pack: monitor.yaml is in the way, so nothing at all is written.
    const again = await cli(['init', '--observability']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`will not overwrite ${join(home, 'monitor.yaml')}`);
    expect(readdirSync(home)).toEqual(['monitor.yaml']);
    expect(readFileSync(join(home, 'monitor.yaml'), 'utf8')).toBe(written);
  });

  it('init DIR --observability adds the scrape config, the rules it loads and the dashboards', async () => {
    const res = await cli(['init', 'pack', '--observability']);
    expect(res.code).toBe(0);
    const dir = join(home, 'pack');
    const check = await cli(['check-config', '--skip-credentials', '--config', join(dir, 'monitor.yaml')]);
    expect(check.code).toBe(0);
    const prometheus = parse(readFileSync(join(dir, 'prometheus', 'prometheus.yml'), 'utf8')) as { rule_files: string[] };
    // rule_files is relative to prometheus.yml: the rules must land where it looks.
    expect(prometheus.rule_files).toEqual(['rules/*.yml']);
    const rules = readdirSync(repoPath('config', 'prometheus', 'rules')).filter((f) => f.endsWith('.yml'));
    expect(readdirSync(join(dir, 'prometheus', 'rules')).sort()).toEqual(rules.sort());
    expect(readdirSync(join(dir, 'grafana', 'dashboards')).sort()).toEqual(readdirSync(repoPath('grafana', 'dashboards')).sort());

    // The written pack as Prometheus reads it: the scrape config and, through rule_files, every rule file.
    const promtool = findExecutable('promtool');
    if (promtool === undefined) {
      if (isCI()) throw new Error('promtool is required under CI=true (scripts/ci-install-tools.sh)');
      console.warn('promtool not on PATH: the written prometheus.yml and rules are not checked');
      return;
    }
    const promCheck = await runCommand(promtool, ['check', 'config', join(dir, 'prometheus', 'prometheus.yml')], { cwd: home, env });
    expect(promCheck.stdout).toContain(`SUCCESS: ${rules.length} rule files found`);
    expect(promCheck.code).toBe(0);
  });

  it('demo serves the status page and /metrics with the demo rooms, its output in the working directory', async () => {
    const [port, simulatorPort] = [await freePort(), await freePort()];
    const cwd = join(home, 'demo');
    mkdirSync(cwd);
    demo = new SpawnedProcess('rtc-room-monitor demo', bin, ['demo', '--port', String(port), '--simulator-port', String(simulatorPort)], { cwd, env });
    const base = `http://127.0.0.1:${port}`;
    const rooms = ['lobby', 'stage', 'quiet', 'ghost', 'popup'];
    const running = demo;
    try {
      const metrics = await waitFor(
        '/metrics with every demo room polled',
        async () => {
          running.assertRunning();
          const text = await (await fetch(`${base}/metrics`)).text();
          return rooms.every((r) => text.includes(`rtc_room_up{app_id="demo-app",room_id="${r}"} 1`)) ? text : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 250 },
      );
      expect(metrics).toMatch(/^rtc_room_total_users\{app_id="demo-app",room_id="stage"\} [1-9]\d*$/m);

      const page = await fetch(`${base}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toContain('text/html');
      expect(await page.text()).toContain('src="static/status.js"');
      expect((await fetch(`${base}/static/status.js`)).status).toBe(200);
      const listed = (await (await fetch(`${base}/api/rooms`)).json()) as { rooms: { appId: string; roomId: string }[] };
      expect(listed.rooms.map((r) => r.roomId)).toEqual(expect.arrayContaining(rooms));
    } catch (err) {
      throw running.describeFailure(err);
    }
    // Inputs came from the package; output (the port-rewritten config, state, events) from the cwd.
    expect(readdirSync(join(cwd, '.demo')).sort()).toEqual(expect.arrayContaining(['demo.yaml', 'state.db']));
    await running.stop();
    expect(running.exitStatus()).toEqual({ code: 0, signal: null });
  });
});
