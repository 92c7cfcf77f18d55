import { IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { AddressInfo, Socket } from 'node:net';
import { ApiOutcome } from './api-handler';
import { RequestView } from './signature-check';
import { listen } from '../http/listen';

/**
 * The simulator's socket layer: reads requests, routes /_sim/ to the control handler and everything
 * else to the API handler, and writes outcomes, including the ones that are deliberately not HTTP
 * (a hang, a reset). Tracks every socket so stop() can end hung requests too.
 */

export interface ControlReply {
  status: number;
  body: unknown;
}

export interface ServerHandlers {
  api(req: RequestView): ApiOutcome;
  /** Called once a successful outcome has been written to a live socket. */
  delivered(outcome: ApiOutcome): void;
  control(method: string, path: string, body: string): ControlReply;
  latencyMs(): number;
  /** A TCP connection was accepted / (over TLS) its handshake completed. */
  connection?(): void;
  tlsHandshake?(): void;
  /** A connection ended (either side closed it). */
  connectionClosed?(): void;
}

/** PEM certificate chain and key: the simulator then serves HTTPS, like the real API. */
export interface SimTls {
  cert: string | Buffer;
  key: string | Buffer;
}

/**
 * Idle keep-alive sockets stay open this long, like the load balancers in front of real APIs (Node's own
 * default is 5 s). Clients that keep connections between 15 s poll cycles need the server to allow it.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;

const MAX_BODY_BYTES = 1 << 20;
export const CONTROL_PREFIX = '/_sim/';

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  sendText(res, status, JSON.stringify(body));
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function parseQuery(search: string): Record<string, string> {
  // Last value wins for repeated keys; the signature covers the same map, so a client cannot be fooled.
  return Object.fromEntries(new URLSearchParams(search));
}

export class SimHttpServer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly handlers: ServerHandlers,
    tls?: SimTls,
  ) {
    const onRequest = (req: IncomingMessage, res: ServerResponse): void => this.onRequest(req, res);
    this.server = tls ? createTlsServer({ cert: tls.cert, key: tls.key }, onRequest) : createServer(onRequest);
    this.server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => {
        this.sockets.delete(socket);
        handlers.connectionClosed?.();
      });
      handlers.connection?.();
    });
    if (tls) this.server.on('secureConnection', () => handlers.tlsHandshake?.());
  }

  listen(host: string, port: number): Promise<AddressInfo> {
    return listen(this.server, host, port);
  }

  /** Stops listening and destroys every connection, hung or idle, so close() never waits on a client. */
  close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    return new Promise((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
    });
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.socket.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      try {
        this.route(req, res, body);
      } catch (err) {
        if (!res.headersSent) sendJson(res, 500, { error: (err as Error).message });
      }
    });
  }

  private route(req: IncomingMessage, res: ServerResponse, body: string): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const method = req.method ?? 'GET';
    if (path.startsWith(CONTROL_PREFIX)) {
      const reply = this.handlers.control(method, path, body);
      return sendJson(res, reply.status, reply.body);
    }
    const outcome = this.handlers.api({
      method,
      path,
      query: parseQuery(q < 0 ? '' : url.slice(q + 1)),
      headers: req.headers,
      body,
    });
    if (outcome.kind === 'hang') return; // the socket stays open until the client gives up or we stop
    if (outcome.kind === 'reset') return void req.socket.destroy();
    const delay = this.handlers.latencyMs();
    if (delay <= 0) return this.write(res, outcome);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.write(res, outcome);
    }, delay);
    this.timers.add(timer);
  }

  private write(res: ServerResponse, outcome: ApiOutcome): void {
    if (res.destroyed || res.socket?.destroyed) return;
    if (outcome.kind === 'json') sendJson(res, outcome.status, outcome.body);
    else if (outcome.kind === 'text') sendText(res, outcome.status, outcome.text);
    this.handlers.delivered(outcome);
  }
}
