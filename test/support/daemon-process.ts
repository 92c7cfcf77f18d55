import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from './free-port';
import { DAEMON_CLI } from './repo-paths';
import { SpawnedProcess, waitUntilReady } from './spawned-process';

/**
 * The built daemon (`node dist/src/cli.js --config <tmp yaml>`) as a child process on loopback, for
 * integration tests. Resolves once GET /-/ready answers 200, i.e. after the first full poll cycle.
 */

export interface DaemonOptions {
  /** The config as a plain object (written as YAML). server.host/port are set here unless given. */
  config: Record<string, unknown>;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Extra environment; LOG_LEVEL defaults to "warn" so member events do not flood the test output. */
  env?: Record<string, string>;
  readyTimeoutMs?: number;
  /** Extra command-line arguments, e.g. --web.enable-lifecycle or --web.config.file=FILE. */
  args?: string[];
  /** URL scheme the daemon serves (https with a TLS web config). */
  scheme?: 'http' | 'https';
  /** Status of a GET of the URL, for a daemon that needs TLS options or credentials; plain fetch by default. */
  status?: (url: string) => Promise<number>;
}

export interface RunningDaemon {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  /** host:port, as a Prometheus scrape target. */
  target: string;
  configFile: string;
  process: SpawnedProcess;
  stop(): Promise<void>;
}

export async function startDaemon(opts: DaemonOptions): Promise<RunningDaemon> {
  const endpoint = (opts.config.api as { endpoint?: string } | undefined)?.endpoint;
  if (!endpoint || !/^https?:\/\/(127\.0\.0\.1|localhost)(:\d+)?\/?$/.test(endpoint)) {
    // Without an explicit loopback endpoint the daemon would default to the real vendor API.
    throw new Error(`startDaemon: api.endpoint must be a loopback simulator URL, got ${String(endpoint)}`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'rtc-daemon-'));
  const server = { host: '127.0.0.1', port: await freePort(), ...(opts.config.server as Record<string, unknown> | undefined) };
  const configFile = join(dir, 'monitor.yaml');
  writeFileSync(configFile, stringify({ ...opts.config, server }));

  const proc = new SpawnedProcess('rtc-room-monitor', process.execPath, [DAEMON_CLI, '--config', configFile, ...(opts.args ?? [])], {
    // A scratch cwd, so a developer's .env in the repo cannot leak real credentials into the test.
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? '',
      LOG_LEVEL: 'warn',
      ...opts.env,
      VOLC_ACCESSKEY: opts.credentials.accessKeyId,
      VOLC_SECRETKEY: opts.credentials.secretAccessKey,
    },
  });
  const url = `${opts.scheme ?? 'http'}://${String(server.host)}:${String(server.port)}`;
  const stop = async (): Promise<void> => {
    await proc.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  await waitUntilReady(proc, `${url}/-/ready`, opts.readyTimeoutMs ?? 15_000, stop, opts.status);
  return { url, target: `${String(server.host)}:${String(server.port)}`, configFile, process: proc, stop };
}
