import Redis from 'ioredis';
import { freePort } from './free-port';
import { executable } from './required-tools';
import { SpawnedProcess } from './spawned-process';
import { waitFor } from './wait-for';

/**
 * A throwaway redis-server on a free loopback port, no persistence, for the cluster tests. Stop it with
 * `stop()`; `kill()` and `restart()` simulate a Redis outage (same port, empty data).
 */

export const redisServer = executable('redis-server', 'run scripts/ci-install-tools.sh (Debian: apt-get install redis-server)');

export class RedisProcess {
  private proc?: SpawnedProcess;
  private readonly clients: Redis[] = [];

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
    this.proc = new SpawnedProcess('redis-server', 'redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
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

  async stop(): Promise<void> {
    for (const c of this.clients.splice(0)) c.disconnect();
    await this.proc?.stop();
  }
}
