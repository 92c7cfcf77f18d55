import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInfo } from './machine';
import { DAEMON_CLI } from './paths';
import { cpuSeconds, rssBytes } from './proc-usage';
import { BENCH_CREDENTIALS, baseConfig, benchRooms, configRooms, spawnReference, startSimulator } from './sim-world';
import { median } from './stats';
import { freePort, sleep } from './wait';

/**
 * `npm run bench:side-by-side -- [--rooms N] [--members N] [--qps Q] [--warm S] [--seconds S]
 * [--daemon NAME=STATE[@CLI]]...`: issue #13's CPU and RSS ratios, measured with every process running
 * **at the same time**: each daemon variant and the bare reference poller (bench/reference-client.ts)
 * poll their own simulator, on the same machine in the same seconds, so a busy neighbour or a slow
 * minute hits all of them alike. (cost-ratio.ts runs them one after the other; on this shared machine
 * two identical daemons measured that way differed by up to 0.3 ×, side by side usually by 0.01 × (once by
 * 0.31 ×: read a single run's difference with that in mind).)
 *
 * Each --daemon is NAME=STATE (memory or sqlite), optionally @CLI: another build's dist/src/cli.js, to
 * compare before and after in one run. Default: `--daemon memory=memory --daemon sqlite=sqlite`.
 * CPU is user + system time from /proc over the measured seconds, after --warm seconds (V8 is still
 * compiling the daemon's code for a minute or so at 35 requests a second, and the young generation
 * shrinks back after start-up); RSS is the median of 1 s samples. Ratios are per achieved request.
 */

interface Variant {
  name: string;
  state: string;
  cli: string;
}

interface Running {
  name: string;
  child: ChildProcess;
  stopSim: () => Promise<void>;
  requests: () => number;
  dir?: string;
}

function args(argv: string[]): { rooms: number; members: number; qps: number; warmS: number; seconds: number; variants: Variant[] } {
  const get = (name: string, fallback: string): string => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : fallback;
  };
  const variants: Variant[] = [];
  argv.forEach((a, i) => {
    if (a !== '--daemon') return;
    const m = /^([\w-]+)=(memory|sqlite)(?:@(.+))?$/.exec(argv[i + 1] ?? '');
    if (!m) throw new Error(`--daemon ${argv[i + 1] ?? ''}: expected NAME=memory|sqlite[@path/to/cli.js]`);
    variants.push({ name: m[1]!, state: m[2]!, cli: m[3] ?? DAEMON_CLI });
  });
  if (variants.length === 0) variants.push({ name: 'memory', state: 'memory', cli: DAEMON_CLI }, { name: 'sqlite', state: 'sqlite', cli: DAEMON_CLI });
  return { rooms: Number(get('rooms', '100')), members: Number(get('members', '1000')), qps: Number(get('qps', '35')), warmS: Number(get('warm', '60')), seconds: Number(get('seconds', '60')), variants };
}

function cpuTotal(pid: number): number {
  const { user, system } = cpuSeconds(pid);
  return user + system;
}

async function startDaemon(v: Variant, o: ReturnType<typeof args>, procs: Running[]): Promise<void> {
  const { sim, endpoint } = await startSimulator(benchRooms(o.rooms, o.members));
  const dir = mkdtempSync(join(tmpdir(), 'rtc-side-'));
  const config = { ...baseConfig(endpoint, o.qps, '* * * * * *', configRooms(o.rooms)), state: { backend: v.state, file: 'state.db' }, server: { host: '127.0.0.1', port: await freePort() } };
  writeFileSync(join(dir, 'monitor.json'), JSON.stringify(config));
  const child = spawn(process.execPath, [v.cli, '--config', join(dir, 'monitor.json')], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', VOLC_ACCESSKEY: BENCH_CREDENTIALS.accessKeyId, VOLC_SECRETKEY: BENCH_CREDENTIALS.secretAccessKey },
  });
  // Registered at once, so a failure further on still stops this simulator and removes the directory.
  procs.push({ name: v.name, child, stopSim: () => sim.stop(), requests: () => sim.stats().requests, dir });
}

async function startReference(o: ReturnType<typeof args>, procs: Running[]): Promise<void> {
  const { sim, endpoint } = await startSimulator(benchRooms(o.rooms, o.members));
  const child = spawnReference(endpoint, o.qps, o.rooms);
  procs.push({ name: 'reference', child, stopSim: () => sim.stop(), requests: () => sim.stats().requests });
}

/** SIGTERM, then wait for the exit (SIGKILL after 10 s): the simulators stop only after their clients. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(kill);
}

async function main(): Promise<void> {
  const o = args(process.argv.slice(2));
  const info = runInfo(['npm run bench:side-by-side --', ...process.argv.slice(2)].join(' '), 'side-by-side');
  console.log(`${info.revision}; ${info.node}, ${info.cpus}, ${info.memory}; load ${info.loadAverage}; ${info.date}`);
  console.log(`${o.rooms} rooms × ${o.members} members at qps ${o.qps}; warm-up ${o.warmS} s, measured ${o.seconds} s; all processes at once`);
  const procs: Running[] = [];
  // Killed from outside (a test's guard, Ctrl-C): take the daemons and the reference down too.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      for (const p of procs) p.child.kill('SIGTERM');
      process.exit(1);
    });
  }
  try {
    for (const v of o.variants) await startDaemon(v, o, procs);
    await startReference(o, procs);
    await sleep(o.warmS * 1000);
    for (const p of procs) if (p.child.exitCode !== null) throw new Error(`${p.name} exited early (code ${p.child.exitCode})`);
    const cpu0 = procs.map((p) => cpuTotal(p.child.pid!));
    const req0 = procs.map((p) => p.requests());
    const t0 = performance.now();
    const rss: number[][] = procs.map(() => []);
    for (let s = 0; s < o.seconds; s++) {
      await sleep(1000);
      procs.forEach((p, i) => rss[i]!.push(rssBytes(p.child.pid!) / 2 ** 20));
    }
    const dt = (performance.now() - t0) / 1000;
    const rows = procs.map((p, i) => {
      const cpuPercent = ((cpuTotal(p.child.pid!) - cpu0[i]!) / dt) * 100;
      const reqPerS = (p.requests() - req0[i]!) / dt;
      return { name: p.name, cpuPercent, reqPerS, rss: median(rss[i]!) };
    });
    const ref = rows[rows.length - 1]!;
    for (const r of rows) {
      const ratio = r.cpuPercent / r.reqPerS / (ref.cpuPercent / ref.reqPerS);
      console.log(`${r.name.padEnd(10)} ${r.cpuPercent.toFixed(2)} % of a core at ${r.reqPerS.toFixed(1)} req/s, RSS ${r.rss.toFixed(1)} MiB; CPU ${ratio.toFixed(2)} × the reference, RSS +${(r.rss - ref.rss).toFixed(1)} MiB`);
    }
  } finally {
    await Promise.all(procs.map((p) => stop(p.child)));
    for (const p of procs) {
      await p.stopSim();
      if (p.dir) rmSync(p.dir, { recursive: true, force: true });
    }
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
