import { createServer as createHttpServer, IncomingMessage, RequestListener, Server as PlainServer, ServerResponse } from 'node:http';
import { createServer as createHttpsServer, Server as TlsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import { clientKey } from './auth-slots';
import { BasicAuth } from './basic-auth';
import { TlsServerSettings, tlsServerSettings } from './tls-options';
import type { LoadedWebConfig } from './web-config-file';

/**
 * The daemon's listening server with the web config applied around the router: TLS (and client
 * certificates), basic auth and extra headers for every request, so every route, present or future, is
 * protected the same way. Swapping in a re-read web config changes users, headers and the certificate
 * without a restart; switching TLS on or off needs one. Also sets the timeouts and the connection limit
 * that keep slow or numerous clients from exhausting the server.
 */

export type EndpointServer = PlainServer | TlsServer;

export interface ServerLimits {
  maxConnections: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
}

export type RefusalReason = 'unauthorized' | 'auth_busy' | 'client_certificate' | 'tls_handshake';

export interface EndpointObserver {
  refused(reason: RefusalReason): void;
}

/** A TLS handshake has this long to complete (Node's default is 120 s). */
export const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;
/** How often request timeouts are checked; a slow client is cut at most this long after its deadline. */
const CONNECTION_SWEEP_MS = 1000;
const REALM = 'Basic realm="rtc-room-monitor", charset="UTF-8"';

export class SecureEndpoint {
  private auth?: BasicAuth;
  private headers: [string, string][] = [];
  private tls?: TlsServerSettings;
  private server?: EndpointServer;
  private loaded?: LoadedWebConfig;
  /** Paths that authenticate requests themselves (the vendor's signed callbacks): no basic auth, no client certificate. */
  private openPaths: ReadonlySet<string> = new Set();
  /** Connections whose client certificate the policy refuses, kept open only for the open paths. */
  private readonly refusedPeers = new WeakSet<object>();

  constructor(
    initial: LoadedWebConfig | undefined,
    private readonly deps: { logger: Logger; clock: Pick<Clock, 'now'>; observer?: EndpointObserver },
  ) {
    if (initial) this.apply(initial);
  }

  get tlsEnabled(): boolean {
    return this.tls !== undefined;
  }

  /** For the startup log: what is protected, never the secrets. */
  describe(): Record<string, unknown> {
    const c = this.loaded?.config;
    if (!c) return { webConfig: false };
    return {
      webConfig: this.loaded?.file,
      tls: c.tls ? { clientAuthType: c.tls.clientAuthType, minVersion: c.tls.minVersion, certValidTo: this.loaded?.tls?.notAfter } : false,
      basicAuthUsers: Object.keys(c.users).length,
      headers: Object.keys(c.headers),
    };
  }

  /** What an operator should hear about the web config in force (logged at start and after a reload). */
  warnings(): string[] {
    const c = this.loaded?.config;
    if (!c) return [];
    const users = Object.keys(c.users).length;
    if (!c.tls && users === 0) return ['the web config sets neither TLS nor basic_auth_users: the endpoint is open'];
    if (!c.tls) return ['basic auth without TLS: passwords cross the network in clear text'];
    return [];
  }

  /**
   * Exempt these exact paths from basic auth and client certificates (TLS and headers still apply): the
   * vendor cannot send either, and its signature is the callback's authentication. Call before createServer.
   */
  setOpenPaths(paths: readonly string[]): void {
    this.openPaths = new Set(paths);
  }

  /** The server for `listener`, guarded and with the limits applied. Call once. */
  createServer(listener: RequestListener, limits: ServerLimits): EndpointServer {
    const guarded: RequestListener = (req, res) => {
      this.guard(req, res).then(
        (pass) => {
          if (pass) listener(req, res);
        },
        (err: unknown) => {
          this.deps.logger.error({ err, url: req.url }, 'HTTP auth failed');
          if (!res.headersSent) res.writeHead(500).end('internal error\n');
        },
      );
    };
    let server: EndpointServer;
    // Node enforces headersTimeout / requestTimeout only when it sweeps connections (30 s by default).
    const http = { connectionsCheckingInterval: CONNECTION_SWEEP_MS };
    const tls = this.tls;
    if (tls) {
      // With open paths a peer without an acceptable certificate must still complete the handshake (the
      // vendor has none); the policy is then applied per request instead (guard).
      const rejectUnauthorized = tls.rejectUnauthorized && this.openPaths.size === 0;
      const https = createHttpsServer({ ...http, ...tls.context, requestCert: tls.requestCert, rejectUnauthorized, handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS }, guarded);
      // Before the HTTP layer sees the socket: drop peers the client-auth policy refuses.
      https.prependListener('secureConnection', (socket: TLSSocket) => this.checkPeer(socket));
      https.on('tlsClientError', (err) => {
        this.deps.observer?.refused('tls_handshake');
        this.deps.logger.debug({ err: err.message }, 'TLS handshake failed');
      });
      server = https;
    } else {
      server = createHttpServer(http, guarded);
    }
    server.headersTimeout = limits.headersTimeoutMs;
    server.requestTimeout = limits.requestTimeoutMs;
    server.keepAliveTimeout = limits.keepAliveTimeoutMs;
    server.maxConnections = limits.maxConnections;
    this.server = server;
    return server;
  }

  /** Swap in a re-read web config; throws (and keeps the current one) when it cannot be applied. */
  apply(next: LoadedWebConfig): void {
    if (this.loaded && Boolean(next.tls) !== Boolean(this.loaded.tls)) {
      throw new Error(`tls_server_config: turning TLS ${next.tls ? 'on' : 'off'} takes effect on restart; the previous web config stays in force`);
    }
    const tls = next.config.tls && next.tls ? tlsServerSettings(next.config.tls, next.tls) : undefined;
    if (tls && this.server instanceof TlsServer) {
      this.server.setSecureContext(tls.context); // throws on material OpenSSL refuses: nothing swapped yet
      // Node reads these two per connection from the server object; setSecureContext does not cover them.
      const s = this.server as unknown as { requestCert: boolean; rejectUnauthorized: boolean };
      s.requestCert = tls.requestCert;
      s.rejectUnauthorized = tls.rejectUnauthorized && this.openPaths.size === 0;
    }
    this.tls = tls;
    const users = next.config.users;
    // The previous instance hands on its known-good credentials: a reload must not send every scraper
    // back to a bcrypt check (and into a queue a password-guessing flood may be filling).
    this.auth = Object.keys(users).length > 0 ? new BasicAuth(users, { clock: this.deps.clock, previous: this.auth }) : undefined;
    this.headers = Object.entries(next.config.headers);
    this.loaded = next;
  }

  private async guard(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    for (const [name, value] of this.headers) res.setHeader(name, value);
    if (this.openPaths.size > 0) {
      if (this.openPaths.has((req.url ?? '/').split('?')[0] ?? '/')) return true;
      if (this.refusedPeers.has(req.socket)) {
        // The certificate check the handshake would have made: this connection may use the open paths only.
        this.deps.observer?.refused('client_certificate');
        res.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' }).end('Client certificate required.\n');
        return false;
      }
    }
    const auth = this.auth;
    if (!auth) return true;
    const result = await auth.check(req.headers.authorization, clientKey(req.socket.remoteAddress));
    if (result === 'ok') return true;
    const busy = result === 'busy';
    this.deps.observer?.refused(busy ? 'auth_busy' : 'unauthorized');
    const body = busy ? 'Too many authentication attempts at once; retry shortly.\n' : 'Unauthorized.\n';
    res.writeHead(busy ? 429 : 401, {
      ...(busy ? { 'Retry-After': '1' } : { 'WWW-Authenticate': REALM }),
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
    return false;
  }

  private checkPeer(socket: TLSSocket): void {
    const settings = this.tls;
    if (!settings) return;
    const cert = socket.getPeerCertificate();
    const hasCertificate = cert !== null && typeof cert === 'object' && Object.keys(cert).length > 0;
    const reason = settings.peerRefusal({
      hasCertificate,
      authorized: socket.authorized,
      authorizationError: socket.authorizationError ? String(socket.authorizationError) : undefined,
      subjectAltName: hasCertificate ? cert.subjectaltname : undefined,
    });
    if (reason === undefined) return;
    this.deps.logger.debug({ remote: socket.remoteAddress, reason }, 'TLS client refused');
    // With open paths the refusal waits for a request to another path (counted there).
    if (this.openPaths.size > 0) return void this.refusedPeers.add(socket);
    this.deps.observer?.refused('client_certificate');
    socket.destroy();
  }
}
