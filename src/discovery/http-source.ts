import type { Clock } from '../clock';
import type { HttpSourceConfig } from '../config/schema';
import type { Logger } from '../logger';
import type { DiscoveryObserver } from './discovery-observer';
import { parseRoomList, RoomListContext } from './room-list';
import type { RoomRegistry } from './room-registry';

export interface HttpSourceDeps {
  /** Registry source name, e.g. "http:0". */
  name: string;
  settings: HttpSourceConfig;
  context: () => RoomListContext;
  registry: RoomRegistry;
  observer: DiscoveryObserver;
  clock: Clock;
  logger: Logger;
}

/** Thrown when an answer is not usable; the message is safe to log (no body, no credentials). */
class FetchProblem extends Error {}

/**
 * Rooms from an HTTP endpoint of the user's own app (as Prometheus' http_sd): GET the URL, expect 200
 * with a JSON (or YAML) list of {appId, roomId, account?, labels?}. The whole exchange has a timeout and
 * the body a size limit. A failed or bad answer keeps the last good list and is reported.
 */
export class HttpSource {
  private problem?: string;

  constructor(private readonly deps: HttpSourceDeps) {}

  /** One pass; never rejects. */
  async pass(signal?: AbortSignal): Promise<void> {
    const { deps } = this;
    const url = redact(deps.settings.url);
    let text: string;
    try {
      text = await this.fetchText(signal);
      const rooms = parseRoomList(text, deps.context());
      deps.registry.replace(deps.name, 'http', rooms, deps.clock.now());
    } catch (err) {
      if (signal?.aborted) return;
      deps.observer.request('http', false);
      const problem = err instanceof Error ? err.message : String(err);
      if (problem !== this.problem) deps.logger.warn({ url, problem }, 'discovery endpoint failed; keeping its previous rooms');
      this.problem = problem;
      return;
    }
    deps.observer.request('http', true);
    deps.observer.passSucceeded('http', url, deps.clock.now());
    if (this.problem !== undefined) deps.logger.info({ url }, 'discovery endpoint recovered');
    this.problem = undefined;
  }

  private async fetchText(signal?: AbortSignal): Promise<string> {
    const { timeoutMs, maxBytes, url } = this.deps.settings;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    const onStop = (): void => controller.abort();
    signal?.addEventListener('abort', onStop, { once: true });
    try {
      const res = await fetch(url, { signal: controller.signal, headers: { accept: 'application/json, application/yaml;q=0.9' }, redirect: 'follow' });
      if (res.status !== 200) {
        await res.body?.cancel();
        throw new FetchProblem(`HTTP ${res.status}`);
      }
      const declared = Number(res.headers.get('content-length') ?? NaN);
      if (declared > maxBytes) {
        await res.body?.cancel();
        throw new FetchProblem(`body of ${declared} bytes is over maxBytes (${maxBytes})`);
      }
      // Read by hand to stop at the limit: a body without Content-Length could be endless.
      const chunks: Uint8Array[] = [];
      let size = 0;
      for await (const chunk of (res.body ?? []) as unknown as AsyncIterable<Uint8Array>) {
        size += (chunk as Uint8Array).byteLength;
        if (size > maxBytes) {
          controller.abort();
          throw new FetchProblem(`body is over maxBytes (${maxBytes})`);
        }
        chunks.push(chunk as Uint8Array);
      }
      return Buffer.concat(chunks).toString('utf8');
    } catch (err) {
      if (err instanceof FetchProblem) throw err;
      if (controller.signal.aborted && !signal?.aborted) throw new FetchProblem(`no complete answer within ${timeoutMs} ms`);
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      throw new FetchProblem(`request failed: ${cause ?? (err as Error).name}`);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onStop);
    }
  }
}

/** The URL as shown in logs and metrics: without user:password or query (they may hold tokens). */
export function redact(url: string): string {
  const u = new URL(url);
  u.username = '';
  u.password = '';
  u.search = '';
  return u.toString();
}
