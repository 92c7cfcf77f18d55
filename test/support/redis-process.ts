import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { freePort } from './free-port';
import { executable } from './required-tools';
import { SpawnedProcess } from './spawned-process';
import { waitFor } from './wait-for';

/**
 * A throwaway redis-server on a free loopback port, no persistence, for the cluster tests. Stop it with
 * `stop()`; `kill()` + `launch()` simulate a Redis outage (same port, empty data); `restart()` does the
 * same and can keep the data (an RDB written at shutdown, in the server's own scratch directory).
 */

export const redisServer = executable('redis-server', 'run scripts/ci-install-tools.sh (Debian: apt-get install redis-server)');

export class RedisProcess {
  private proc?: SpawnedProcess;
  private readonly clients: Redis[] = [];

  /** RDB snapshots go here (only `restart({ keepData: true })` writes one), never into the repo. */
  private readonly dir = mkdtempSync(join(tmpdir(), 'rtc-redis-'));

  private constructor(readonly port: number) {}

  static async start(): Promise<RedisProcess> {
    const r = new RedisProcess(await freePort());
    await r.launch();
    return r;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** A client that fails fast while the server is down (as the daemon's does), closed by stop(). */
  async client(): Promise<Redis> {
    const c = new Redis(this.port, '127.0.0.1', { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 1000, retryStrategy: () => 100 });
    c.on('error', () => undefined); // connection errors surface as rejected commands
    this.clients.push(c);
    await new Promise((resolve) => c.once('ready', resolve));
    return c;
  }

  async launch(): Promise<void> {
    this.proc = new SpawnedProcess('redis-server', 'redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir]);
    const probe = new Redis(this.port, '127.0.0.1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined);
    try {
      await waitFor('redis-server to answer PING', async () => {
        this.proc!.assertRunning();
        if (probe.status !== 'ready') await probe.connect().catch(() => undefined);
        return (await probe.ping()) === 'PONG' ? true : undefined;
      }, { timeoutMs: 10_000, intervalMs: 50 });
    } finally {
      probe.disconnect();
    }
  }

  /** kill -9: the server and all its data are gone. */
  async kill(): Promise<void> {
    if (!this.proc) return;
    process.kill(this.proc.pid!, 'SIGKILL');
    await this.proc.waitForExit();
  }

  /**
   * Stop the server and start it again on the same port. keepData: `SHUTDOWN SAVE` (no write can land
   * between the snapshot and the exit), and the new server loads it: a restart of a Redis with
   * persistence. Otherwise kill -9 and no snapshot: a Redis without persistence, every key gone.
   */
  async restart({ keepData }: { keepData: boolean }): Promise<void> {
    rmSync(join(this.dir, 'dump.rdb'), { force: true });
    if (keepData) {
      const admin = new Redis(this.port, '127.0.0.1', { enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
      admin.on('error', () => undefined);
      await new Promise((resolve) => admin.once('ready', resolve));
      await admin.call('SHUTDOWN', 'SAVE').catch(() => undefined); // the connection closes as the server exits
      admin.disconnect();
      await this.proc?.waitForExit();
    } else {
      await this.kill();
    }
    await this.launch();
  }

  async stop(): Promise<void> {
    for (const c of this.clients.splice(0)) c.disconnect();
    await this.proc?.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
