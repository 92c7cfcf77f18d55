import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProbeDump } from './probe/daemon-probe';
import { DAEMON_CLI, DAEMON_PROBE } from './paths';
import { freePort, waitUntil } from './wait';

/**
 * The built daemon as its own process (so its CPU and memory can be read from /proc without the harness
 * and the simulator mixed in), with the probe preloaded. Config is written as JSON, which is valid YAML.
 */

export interface DaemonChildOptions {
  /** The config minus `server`, which is set to a free loopback port here. */
  config: Record<string, unknown>;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Write a V8 CPU profile of the daemon into this directory when it exits. */
  cpuProfileDir?: string;
  /** Files to put in the daemon's scratch directory before it starts (e.g. a saved state). */
  files?: Record<string, string | Buffer>;
  /** Sample the event-loop delay in the probe (ProbeDump.eventLoopDelay); off by default, as it costs CPU. */
  loopDelay?: boolean;
  /** How long the start may take until /-/healthy answers; default 30 s (100,000 rooms need longer). */
  startTimeoutMs?: number;
  /** Extra environment (e.g. RTC_CALLBACK_SECRET). */
  env?: Record<string, string>;
}

const OUTPUT_TAIL_CHARS = 32 * 1024;

export class DaemonChild {
  readonly url: string;
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;
  private exitCode?: number | null;
  private tail = '';

  private constructor(
    readonly dir: string,
    port: number,
    opts: DaemonChildOptions,
  ) {
    this.url = `http://127.0.0.1:${port}`;
    for (const [name, text] of Object.entries(opts.files ?? {})) writeFileSync(join(dir, name), text);
    const configFile = join(dir, 'monitor.yaml');
    writeFileSync(configFile, JSON.stringify({ ...opts.config, server: { host: '127.0.0.1', port } }));
    const nodeArgs = ['--expose-gc', '--require', DAEMON_PROBE];
    if (opts.cpuProfileDir) nodeArgs.push('--cpu-prof', '--cpu-prof-dir', opts.cpuProfileDir);
    // BENCH_DAEMON_NODE_ARGS="--max-semi-space-size=2": try V8 flags on the daemon alone (cost-ratio).
    nodeArgs.push(...(process.env.BENCH_DAEMON_NODE_ARGS ?? '').split(' ').filter((a) => a !== ''));
    this.child = spawn(process.execPath, [...nodeArgs, DAEMON_CLI, '--config', configFile], {
      // A scratch cwd, so a .env in the repo cannot leak into the run.
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? '',
        // Quiet by default; BENCH_DAEMON_LOG_LEVEL=debug shows the daemon's own view when a run misbehaves.
        LOG_LEVEL: process.env.BENCH_DAEMON_LOG_LEVEL ?? 'warn',
        VOLC_ACCESSKEY: opts.credentials.accessKeyId,
        VOLC_SECRETKEY: opts.credentials.secretAccessKey,
        BENCH_PROBE_OUT: join(dir, 'probe.json'),
        BENCH_PROBE_LOOP_DELAY: opts.loopDelay ? '1' : '0',
        ...opts.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer): void => {
      this.tail = (this.tail + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code) => {
        this.exitCode = code;
        resolve();
      });
      this.child.once('error', (err) => {
        this.tail += `\n[spawn error] ${err.message}`;
        this.exitCode = null;
        resolve();
      });
    });
  }

  /** Starts the daemon and resolves once /-/healthy answers (the HTTP server is up; polling has begun). */
  static async start(opts: DaemonChildOptions): Promise<DaemonChild> {
    if (!existsSync(DAEMON_CLI) || !existsSync(DAEMON_PROBE)) throw new Error(`run \`npm run build\` first (${DAEMON_CLI}, ${DAEMON_PROBE})`);
    const daemon = new DaemonChild(mkdtempSync(join(tmpdir(), 'rtc-bench-')), await freePort(), opts);
    try {
      await daemon.waitFor('/-/healthy', opts.startTimeoutMs ?? 30_000);
    } catch (err) {
      await daemon.stop();
      throw err;
    }
    return daemon;
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error('daemon has no pid');
    return this.child.pid;
  }

  /** Waits until GET `path` answers 200 (e.g. /-/ready after the first full cycle). */
  async waitFor(path: string, timeoutMs: number): Promise<void> {
    await waitUntil(
      `daemon ${path}`,
      async () => {
        this.assertRunning();
        const res = await fetch(`${this.url}${path}`);
        await res.arrayBuffer();
        return res.status === 200 ? true : undefined;
      },
      timeoutMs,
    ).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}\n--- daemon output (tail) ---\n${this.tail}`);
    });
  }

  /** Asks the probe for its dump (forcing a GC first) and waits for it. */
  async probe(timeoutMs = 10_000): Promise<ProbeDump> {
    const file = join(this.dir, 'probe.json');
    rmSync(file, { force: true });
    this.child.kill('SIGUSR2');
    return waitUntil(
      'the probe dump',
      () => {
        this.assertRunning();
        return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ProbeDump) : undefined;
      },
      timeoutMs,
      20,
    );
  }

  assertRunning(): void {
    if (this.exitCode !== undefined) throw new Error(`daemon exited early (code ${String(this.exitCode)}):\n${this.tail}`);
  }

  /** SIGTERM (graceful shutdown, which also writes a CPU profile), SIGKILL after a deadline, then clean up. */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (this.exitCode === undefined) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
      await this.exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
