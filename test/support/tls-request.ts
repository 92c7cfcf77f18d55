import { request as httpRequest, IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { PeerCertificate, TLSSocket } from 'node:tls';

/**
 * One HTTP(S) request on a fresh connection (no keep-alive pool, so every call makes a new TLS handshake
 * and sees the server's current certificate and client-auth policy), with the TLS options fetch() lacks.
 */

export interface TlsRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  /** Trusted CA for the server certificate. */
  ca?: Buffer;
  /** Client certificate and key. */
  cert?: Buffer;
  key?: Buffer;
  auth?: { user: string; password: string };
  timeoutMs?: number;
}

export interface TlsResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** The server certificate (https only). */
  peer?: PeerCertificate;
}

export function tlsRequest(url: string, opts: TlsRequestOptions = {}): Promise<TlsResponse> {
  const u = new URL(url);
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.auth) headers.Authorization = `Basic ${Buffer.from(`${opts.auth.user}:${opts.auth.password}`).toString('base64')}`;
  const common = { method: opts.method ?? 'GET', headers, agent: false as const, timeout: opts.timeoutMs ?? 5000 };
  return new Promise((resolve, reject) => {
    const onResponse = (res: import('node:http').IncomingMessage): void => {
      const chunks: Buffer[] = [];
      const peer = u.protocol === 'https:' ? (res.socket as TLSSocket).getPeerCertificate() : undefined;
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), peer }));
      res.on('error', reject);
    };
    const req =
      u.protocol === 'https:'
        ? httpsRequest(u, { ...common, ca: opts.ca, cert: opts.cert, key: opts.key, servername: u.hostname === '127.0.0.1' ? undefined : u.hostname }, onResponse)
        : httpRequest(u, common, onResponse);
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end();
  });
}
