import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';

/**
 * The connection pools the API client sends through, built once and kept across poll cycles and
 * reloads. Node's default agents drop an idle keep-alive socket after 5 s, so with a 15 s schedule every
 * cycle would open fresh TLS connections and its first requests would leave late (the server then sees a
 * burst). These pools keep idle sockets for longer than the schedule period; a server that announces a
 * shorter idle time (`Keep-Alive: timeout=N`) is still respected by Node.
 */
export interface ApiAgents {
  readonly http: HttpAgent;
  readonly https: HttpsAgent;
  destroy(): void;
}

export interface ApiAgentOptions {
  /** PEM CA bundle trusted for the API endpoint instead of Node's built-in roots (api.caFile). */
  ca?: string;
  /** How long an idle socket is kept for the next cycle. */
  idleTimeoutMs: number;
}

/** Idle sockets outlive the gap between two cycles, with a margin for a cycle that starts late. */
export function idleTimeoutFor(periodSeconds: number): number {
  return Math.max(30_000, Math.ceil(periodSeconds * 1000) + 15_000);
}

/**
 * The TCP keep-alive probe delay axios' http adapter sets on the socket of every request
 * (`socket.setKeepAlive(true, 60000)`). The agent sets its own `keepAliveMsecs` (default 1 s) each time a
 * socket goes back to the pool; with two different values each request flipped the socket between them,
 * four setsockopt calls each way, about eight system calls per request for nothing (counted with strace,
 * BENCHMARKS.md). With the same value Node sees no change and makes no call.
 */
export const AXIOS_SOCKET_KEEPALIVE_MS = 60_000;

export function createApiAgents(opts: ApiAgentOptions): ApiAgents {
  const common = { keepAlive: true, keepAliveMsecs: AXIOS_SOCKET_KEEPALIVE_MS, timeout: opts.idleTimeoutMs, scheduling: 'lifo' as const };
  const http = new HttpAgent(common);
  // rejectUnauthorized is explicit so NODE_TLS_REJECT_UNAUTHORIZED=0 in the environment cannot silently
  // turn verification off for the API: a private CA goes in api.caFile instead.
  const https = new HttpsAgent({ ...common, rejectUnauthorized: true, ...(opts.ca !== undefined ? { ca: opts.ca } : {}) });
  return {
    http,
    https,
    destroy: () => {
      http.destroy();
      https.destroy();
    },
  };
}

/**
 * Keeps one set of pools while the CA and idle timeout stay the same (a reload that changes other API
 * settings reuses the warm connections); builds new ones when they change. The old pools are left alone:
 * requests still running on them finish, and their idle sockets close by the idle timeout (unref'd, so
 * they never hold the process open).
 */
export class ApiAgentCache {
  private current?: { key: string; agents: ApiAgents };

  get(opts: ApiAgentOptions): ApiAgents {
    const key = JSON.stringify([opts.ca ?? null, opts.idleTimeoutMs]);
    if (this.current?.key !== key) this.current = { key, agents: createApiAgents(opts) };
    return this.current.agents;
  }

  destroy(): void {
    this.current?.agents.destroy();
    this.current = undefined;
  }
}
