import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpawnedProcess, waitUntilReady } from './spawned-process';

/**
 * A real `prometheus` binary on a loopback port with a throw-away TSDB, plus the few HTTP API calls the
 * tests need. The caller supplies the complete config text (targets already pointing at loopback).
 */

export interface PromSeries {
  metric: Record<string, string>;
  value: [number, string];
}

export type QueryOutcome =
  | { ok: true; resultType: string; series: PromSeries[] }
  | { ok: false; error: string };

export interface RunningPrometheus {
  url: string;
  process: SpawnedProcess;
  /** An instant query at the current time; API errors are returned, not thrown. */
  query(expr: string): Promise<QueryOutcome>;
  /** GET an /api/v1 path and return `data` (throws on a non-success status). */
  api<T>(path: string): Promise<T>;
  stop(): Promise<void>;
}

interface ApiEnvelope<T> {
  status: 'success' | 'error';
  data?: T;
  errorType?: string;
  error?: string;
}

export async function startPrometheus(opts: { configYaml: string; port: number; readyTimeoutMs?: number }): Promise<RunningPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'rtc-prometheus-'));
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(configFile, opts.configYaml);
  const listen = `127.0.0.1:${opts.port}`;
  const url = `http://${listen}`;
  const proc = new SpawnedProcess('prometheus', 'prometheus', [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=${listen}`,
    '--log.level=warn',
  ], { cwd: dir });

  const stop = async (): Promise<void> => {
    await proc.stop();
    rmSync(dir, { recursive: true, force: true });
  };

  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${url}/api/v1/${path}`);
    const body = (await res.json()) as ApiEnvelope<T>;
    if (body.status !== 'success' || body.data === undefined) throw new Error(`GET ${path}: ${body.errorType}: ${body.error}`);
    return body.data;
  };

  const query = async (expr: string): Promise<QueryOutcome> => {
    const res = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: expr }).toString()}`);
    const body = (await res.json()) as ApiEnvelope<{ resultType: string; result: unknown }>;
    if (body.status !== 'success' || body.data === undefined) return { ok: false, error: `${body.errorType}: ${body.error}` };
    const { resultType, result } = body.data;
    // Scalars and strings come back as a bare [time, value] pair; present them as one label-less series.
    const series = resultType === 'vector' || resultType === 'matrix' ? (result as PromSeries[]) : [{ metric: {}, value: result as [number, string] }];
    return { ok: true, resultType, series };
  };

  await waitUntilReady(proc, `${url}/-/ready`, opts.readyTimeoutMs ?? 20_000, stop);
  return { url, process: proc, query, api, stop };
}
