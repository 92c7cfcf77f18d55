import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../logger';
import { SegmentedGzip, sendSegments, TextPiece } from './compress';
import { listen } from './listen';

/** What the HTTP surface needs; main supplies it. */
export interface HttpHandlers {
  /** The exposition as ordered pieces of text (see Metrics.renderSegments). */
  metrics(): Promise<{ contentType: string; body: readonly TextPiece[] }>;
  ready(): boolean;
  /** Reload the config; resolves with an error message when the new config was rejected. */
  reload(): Promise<string | undefined>;
  landing(): string;
}

/**
 * /metrics, /-/healthy, /-/ready, /-/reload and a landing page, on node:http: five fixed routes do not
 * justify a framework.
 */
export class HttpServer {
  private readonly server: Server;
  private readonly metricsGzip = new SegmentedGzip();

  constructor(
    private readonly handlers: HttpHandlers,
    private readonly logger: Logger,
  ) {
    this.server = createServer((req, res) => {
      this.route(req, res).catch((err: unknown) => {
        this.logger.error({ err, url: req.url }, 'HTTP handler failed');
        if (!res.headersSent) send(res, 500, 'text/plain', 'internal error\n');
        else res.destroy();
      });
    });
    this.server.keepAliveTimeout = 65_000;
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
        const error = await this.handlers.reload();
        return error === undefined
          ? send(res, 200, 'text/plain; charset=utf-8', 'Config reloaded.\n')
          : send(res, 500, 'text/plain; charset=utf-8', `Config rejected, previous config kept:\n${error}\n`);
      }
      case '/':
        if (!readOnly) return methodNotAllowed(res, 'GET, HEAD');
        return send(res, 200, 'text/html; charset=utf-8', this.handlers.landing(), method === 'HEAD');
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
