import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock } from '../clock';
import type { Logger } from '../logger';
import { lifecycleRefusal } from './lifecycle-guard';
import { SegmentedGzip, sendSegments, TextPiece } from './compress';
import { listen } from './listen';
import { EndpointServer, SecureEndpoint, ServerLimits } from './secure-server';

/** What the HTTP surface needs; main supplies it. */
export interface HttpHandlers {
  /** The exposition as ordered pieces of text (see Metrics.renderSegments). */
  metrics(): Promise<{ contentType: string; body: readonly TextPiece[] }>;
  ready(): boolean;
  /** Reload the config; resolves with an error message when the new config was rejected. */
  reload(): Promise<string | undefined>;
  /** Further routes (the status page and its API at `/`, `/api/...`); returns false for paths it does not own. */
  routes?(req: IncomingMessage, res: ServerResponse, path: string): boolean;
  /** The vendor callbacks' receiver, at its own path (callbacks.path); absent: not served. */
  callback?: { readonly path: string; handle(req: IncomingMessage, res: ServerResponse): Promise<void> };
  /** GET /api/events (see events-api.ts); absent: 404. */
  events?(query: URLSearchParams): Promise<{ status: number; contentType: string; body: string }>;
}

/** How the endpoint is exposed; main supplies it from the command line and the config. */
export interface HttpServerOptions {
  /** TLS, basic auth and headers from --web.config.file; without one, plain open HTTP. */
  endpoint?: SecureEndpoint;
  /** --web.enable-lifecycle: without it POST /-/reload is refused (SIGHUP still reloads). */
  enableLifecycle?: boolean;
  limits?: ServerLimits;
}

export const DEFAULT_LIMITS: ServerLimits = { maxConnections: 256, headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 65_000 };

/**
 * /metrics, /-/healthy, /-/ready, /-/reload, and whatever `routes` owns (the status page), on node:http:
 * a handful of fixed routes do not justify a framework.
 */
export class HttpServer {
  private readonly server: EndpointServer;
  private readonly metricsGzip = new SegmentedGzip();

  constructor(
    private readonly handlers: HttpHandlers,
    private readonly logger: Logger,
    private readonly options: HttpServerOptions = {},
  ) {
    // Every route sits behind the endpoint's guard (auth, headers, TLS), including routes added later.
    const endpoint = options.endpoint ?? new SecureEndpoint(undefined, { logger, clock: systemClock });
    this.server = endpoint.createServer((req, res) => {
      this.route(req, res).catch((err: unknown) => {
        this.logger.error({ err, url: req.url }, 'HTTP handler failed');
        if (!res.headersSent) send(res, 500, 'text/plain', 'internal error\n');
        else res.destroy();
      });
    }, options.limits ?? DEFAULT_LIMITS);
    // After listen() succeeds, a server error (e.g. EMFILE on accept) must be logged, not crash the daemon.
    this.server.on('error', (err) => {
      if (this.server.listening) this.logger.error({ err }, 'HTTP server error');
    });
  }

  listen(host: string, port: number): Promise<AddressInfo> {
    return listen(this.server, host, port);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
      // Scrapers hold keep-alive connections; do not let them delay exit.
      setTimeout(() => this.server.closeAllConnections(), 1000).unref();
    });
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    const method = req.method ?? 'GET';
    const readOnly = method === 'GET' || method === 'HEAD';
    if (this.handlers.callback && path === this.handlers.callback.path) return this.handlers.callback.handle(req, res);
    if (this.handlers.routes?.(req, res, path ?? '/')) return;
    switch (path) {
      case '/metrics': {
        if (!readOnly) return methodNotAllowed(res, 'GET, HEAD');
        const { contentType, body } = await this.handlers.metrics();
        return sendSegments(req, res, contentType, body, this.metricsGzip, method === 'HEAD');
      }
      case '/-/healthy':
        if (!readOnly) return methodNotAllowed(res, 'GET, HEAD');
        return send(res, 200, 'text/plain; charset=utf-8', 'Healthy.\n', method === 'HEAD');
      case '/-/ready': {
        if (!readOnly) return methodNotAllowed(res, 'GET, HEAD');
        const ok = this.handlers.ready();
        return send(res, ok ? 200 : 503, 'text/plain; charset=utf-8', ok ? 'Ready.\n' : 'Not ready: first poll cycle has not completed.\n', method === 'HEAD');
      }
      case '/-/reload': {
        if (method !== 'POST' && method !== 'PUT') return methodNotAllowed(res, 'POST, PUT');
        const refused = lifecycleRefusal(this.options.enableLifecycle === true, req.headers);
        if (refused) return send(res, refused.status, 'text/plain; charset=utf-8', `${refused.message}\n`);
        const error = await this.handlers.reload();
        return error === undefined
          ? send(res, 200, 'text/plain; charset=utf-8', 'Config reloaded.\n')
          : send(res, 500, 'text/plain; charset=utf-8', `Config rejected, previous config kept:\n${error}\n`);
      }
      case '/api/events': {
        if (!readOnly) return methodNotAllowed(res, 'GET, HEAD');
        if (!this.handlers.events) return send(res, 404, 'text/plain; charset=utf-8', 'Not found.\n');
        const r = await this.handlers.events(new URL(req.url ?? '/', 'http://localhost').searchParams);
        return send(res, r.status, r.contentType, r.body, method === 'HEAD');
      }
      default:
        return send(res, 404, 'text/plain; charset=utf-8', 'Not found.\n');
    }
  }
}

function send(res: ServerResponse, status: number, contentType: string, body: string, headOnly = false): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
  res.end(headOnly ? undefined : body);
}

function methodNotAllowed(res: ServerResponse, allow: string): void {
  res.setHeader('Allow', allow);
  send(res, 405, 'text/plain; charset=utf-8', 'Method not allowed.\n');
}
