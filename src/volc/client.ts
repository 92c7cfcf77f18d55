import * as http from 'node:http';
import * as https from 'node:https';
import axios, { AxiosInstance } from 'axios';
import { AbortError, isAbortError } from '../clock';
import { Credentials } from './credentials';
import { decodeBody } from './content-encoding';
import { ApiError, TransportError } from './errors';
import type { ApiAgents } from './http-agent';
import { ACTION, parseRoomOnlineUsers, RoomSnapshot } from './room-online-users';
import { Gate, gatedTransport, RequestModule } from './send-gate';
import { sign } from './signer';
import type { AccountApi } from './account-api';
import { LIST_ROOM_INFO, ListRoomInfoQuery, listRoomInfoParams, parseListRoomInfo, RoomListPage } from './list-room-info';

export interface RoomRef {
  appId: string;
  roomId: string;
}

/**
 * Run by the client at the moment a request's bytes can leave: its socket is connected and, over TLS,
 * handshaken (send-gate.ts); the bytes wait for it. The poller passes its rate-limit permit.
 */
export type SendGate = Gate;

/** The narrow view of the vendor API the poller needs; tests pass fakes. */
export interface RoomUsersApi {
  getRoomOnlineUsers(room: RoomRef, signal?: AbortSignal, start?: SendGate): Promise<RoomSnapshot>;
}

export interface VolcClientOptions {
  endpoint: string;
  region: string;
  service: string;
  version: string;
  /** Version of ListRoomInfo; default 2020-12-01. */
  listRoomInfoVersion?: string;
  timeoutMs: number;
  credentials: Credentials;
  now?: () => Date;
  /** Keep-alive pools shared across clients (reloads); default: Node's global agents. */
  agents?: ApiAgents;
  /** Largest response body accepted, compressed and decompressed; default MAX_RESPONSE_BYTES. */
  maxResponseBytes?: number;
}

/** A real 10,000-member answer is a few hundred KB; this bounds the heap a hostile endpoint can take. */
export const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

/** Observes each HTTP exchange (for rtc_api_* metrics) without the client knowing about Prometheus. */
export interface RequestObserver {
  requestDone(action: string, code: string, durationSeconds: number): void;
}

const CONNECTION_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** Signed GETs over axios; every request has a hard timeout, and the secret never appears in errors. */
export class VolcClient implements AccountApi {
  private readonly http: AxiosInstance;
  private readonly url: URL;
  private readonly maxBytes: number;
  /** node:http or node:https, for the endpoint's scheme (the gated transport wraps it). */
  private readonly base: RequestModule;

  constructor(
    private readonly opts: VolcClientOptions,
    private readonly observer: RequestObserver = { requestDone: () => undefined },
  ) {
    this.url = new URL(opts.endpoint);
    this.maxBytes = opts.maxResponseBytes ?? MAX_RESPONSE_BYTES;
    this.base = this.url.protocol === 'https:' ? https : http;
    this.http = axios.create({
      timeout: opts.timeoutMs,
      // Parse ourselves: a half-written body must become MalformedResponse, not an axios guess. The bytes as
      // received: inflating is decodeBody's (content-encoding.ts says why), so maxContentLength limits the
      // received side and decodeBody the inflated side (axios' default for both is unlimited).
      responseType: 'arraybuffer',
      decompress: false,
      transformResponse: (d: unknown) => d,
      validateStatus: () => true,
      maxRedirects: 0,
      maxContentLength: this.maxBytes,
      maxBodyLength: this.maxBytes,
      httpAgent: opts.agents?.http,
      httpsAgent: opts.agents?.https,
      // `proxy` is left unset on purpose: axios then reads HTTPS_PROXY / HTTP_PROXY / NO_PROXY (either
      // case) through proxy-from-env and tunnels HTTPS with CONNECT (https-proxy-agent), passing our
      // agent's TLS options (the CA, verification) to the origin handshake. Both are axios' own
      // dependencies, so this adds no package and no proxy code of ours.
    });
  }

  getRoomOnlineUsers(room: RoomRef, signal?: AbortSignal, start?: SendGate): Promise<RoomSnapshot> {
    const query = { Action: ACTION, Version: this.opts.version, AppId: room.appId, RoomId: room.roomId };
    return this.call(query, parseRoomOnlineUsers, signal, start);
  }

  listRoomInfo(q: ListRoomInfoQuery, signal?: AbortSignal, start?: SendGate): Promise<RoomListPage> {
    const query = { Action: LIST_ROOM_INFO, Version: this.opts.listRoomInfoVersion ?? '2020-12-01', ...listRoomInfoParams(q) };
    return this.call(query, parseListRoomInfo, signal, start);
  }

  /** One signed GET of any action (`query` holds Action and Version), parsed by the action's own parser. */
  private async call<T>(query: Record<string, string>, parse: (status: number, body: string) => T, signal?: AbortSignal, start?: SendGate): Promise<T> {
    const started = performance.now();
    let code = 'Success';
    try {
      const signed = sign({
        method: 'GET',
        host: this.url.host,
        path: '/',
        query,
        accessKeyId: this.opts.credentials.accessKeyId,
        secretAccessKey: this.opts.credentials.secretAccessKey(),
        region: this.opts.region,
        service: this.opts.service,
        date: this.opts.now?.() ?? new Date(),
      });
      // axios' own `timeout` covers only the wait for the response to start; a server that sends headers
      // and then stalls would hang a cycle. One controller bounds the whole exchange. (Not AbortSignal.any:
      // on Node 20 it keeps a reference per call on the long-lived shutdown signal.)
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), this.opts.timeoutMs);
      const onShutdown = (): void => controller.abort();
      signal?.addEventListener('abort', onShutdown, { once: true });
      // The gate runs when the socket can carry the request (after a new connection's handshake), so the
      // permit's start is the request's start at the server. The wait for it is within timeoutMs; its
      // AbortError (shutdown) ends the request, and the signal says it was shutdown.
      let gateError: unknown;
      const transport = start
        ? gatedTransport(this.base, { start: () => start.start().catch((err: unknown) => Promise.reject((gateError = err))), holds: () => start.holds?.() ?? true })
        : undefined;
      const res = await this.http
        .get<Buffer>(`${this.url.origin}/?${signed.queryString}`, { headers: signed.headers, signal: controller.signal, ...(transport ? { transport } : {}) })
        .catch((err: unknown) => {
          if (signal?.aborted) throw new AbortError('request cancelled by shutdown');
          // The limiter closed while the request waited for its start: shutdown too, not a failed request.
          if (isAbortError(gateError)) throw gateError;
          throw this.transportError(err);
        })
        .finally(() => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onShutdown);
        });
      const encoding = res.headers['content-encoding'];
      const body = await decodeBody(Buffer.isBuffer(res.data) ? res.data : Buffer.from(String(res.data)), typeof encoding === 'string' ? encoding : undefined, this.maxBytes, res.status).catch(
        (err: unknown) => {
          // An error page that does not inflate is still an HTTP error, as a non-JSON one is (envelope.ts).
          if (err instanceof ApiError && err.code === 'MalformedResponse' && (res.status < 200 || res.status >= 300)) {
            throw new TransportError('HttpError', `HTTP ${res.status} with a body that could not be decoded`, res.status);
          }
          throw err;
        },
      );
      return parse(res.status, body);
    } catch (err) {
      if (err instanceof AbortError) {
        code = '';
      } else {
        code = err instanceof ApiError ? err.code : 'ConnectionError';
      }
      throw err;
    } finally {
      // A request cancelled on purpose is not an API outcome; everything else is counted.
      if (code !== '') this.observer.requestDone(query.Action!, code, (performance.now() - started) / 1000);
    }
  }

  private tooLarge(): TransportError {
    return new TransportError('ResponseTooLarge', `response body larger than ${this.maxBytes} bytes; refused`);
  }

  private transportError(err: unknown): TransportError {
    const e = err as { code?: string; message?: string };
    if (e.code === 'ERR_BAD_RESPONSE' && e.message?.startsWith('maxContentLength size of')) return this.tooLarge();
    if (e.code === 'ERR_CANCELED' || e.code === 'ECONNABORTED' || e.code === 'ETIMEDOUT') {
      return new TransportError('Timeout', `no complete response within ${this.opts.timeoutMs} ms`);
    }
    if (e.code && CONNECTION_CODES.has(e.code)) return new TransportError('ConnectionError', `connection failed: ${e.code}`);
    return new TransportError('ConnectionError', `request failed: ${e.code ?? 'unknown error'}`);
  }
}
