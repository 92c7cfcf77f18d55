import { ChildProcess, spawn, SpawnOptions } from 'node:child_process';
import { waitFor } from './wait-for';

/**
 * A child process for integration tests: keeps the tail of its output for failure messages, notices
 * when it exits early, and stops it with SIGTERM, then SIGKILL after a deadline.
 */

const MAX_OUTPUT_CHARS = 64 * 1024;

export class SpawnedProcess {
  private readonly child: ChildProcess;
  private tail = '';
  private exit?: { code: number | null; signal: NodeJS.Signals | null };
  private readonly exited: Promise<void>;

  constructor(
    readonly label: string,
    command: string,
    args: string[],
    options: SpawnOptions = {},
  ) {
    this.child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer): void => {
      this.tail = (this.tail + chunk.toString('utf8')).slice(-MAX_OUTPUT_CHARS);
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve();
      });
      this.child.once('error', (err) => {
        this.tail += `\n[spawn error] ${err.message}`;
        this.exit = { code: null, signal: null };
        resolve();
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** How the process ended; undefined while it runs. */
  exitStatus(): { code: number | null; signal: NodeJS.Signals | null } | undefined {
    return this.exit;
  }

  /** Resolves when the process has exited. */
  waitForExit(): Promise<void> {
    return this.exited;
  }

  output(): string {
    return this.tail;
  }

  /** Sends a signal (e.g. SIGHUP for a reload) without waiting for anything. */
  signal(sig: NodeJS.Signals): void {
    this.child.kill(sig);
  }

  /** Throws with the captured output if the process is no longer running (for use inside waitFor). */
  assertRunning(): void {
    if (this.exit !== undefined) {
      throw new Error(`${this.label} exited early (code ${this.exit.code}, signal ${this.exit.signal}):\n${this.tail}`);
    }
  }

  /** Error text for a failed wait: the reason plus what the process printed. */
  describeFailure(reason: unknown): Error {
    const msg = reason instanceof Error ? reason.message : String(reason);
    return new Error(`${this.label}: ${msg}\n--- ${this.label} output (tail) ---\n${this.tail}`);
  }

  async stop(timeoutMs = 5000): Promise<void> {
    if (this.exit !== undefined) return;
    this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        resolve();
      }, timeoutMs);
    });
    await Promise.race([this.exited, killed]);
    clearTimeout(timer);
    await this.exited;
  }
}

/**
 * Wait until `url` answers 200 (asked with `status`, plain fetch by default) while `proc` keeps running; on failure run `cleanup` and throw with the
 * process output, so a test shows why a child never became ready.
 */
export async function waitUntilReady(
  proc: SpawnedProcess,
  url: string,
  timeoutMs: number,
  cleanup: () => Promise<void>,
  status: (url: string) => Promise<number> = async (u) => (await fetch(u)).status,
): Promise<void> {
  try {
    await waitFor(
      url,
      async () => {
        proc.assertRunning();
        return (await status(url)) === 200 ? true : undefined;
      },
      { timeoutMs, intervalMs: 100 },
    );
  } catch (err) {
    const failure = proc.describeFailure(err);
    await cleanup();
    throw failure;
  }
}
