import { createHash, createHmac } from 'node:crypto';

/**
 * Volcengine OpenAPI request signing (HMAC-SHA256, "V4-like").
 *
 * Written by hand on node:crypto because the vendor SDK pulls in an old axios and dozens of packages
 * for what is ~60 lines of hashing. Pure: the caller supplies the timestamp, so it is testable
 * against the published vector.
 */

export interface SigningInput {
  method: string;
  host: string;
  path?: string;
  query: Record<string, string>;
  /** Extra headers to send and sign (e.g. content-type). Names are case-insensitive. */
  headers?: Record<string, string>;
  body?: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  service: string;
  /** The signing time. */
  date: Date;
}

export interface SignedRequest {
  /** Headers to send besides Host (which the HTTP client sets): Authorization, X-Date, X-Content-Sha256. */
  headers: Record<string, string>;
  /** The canonical query string, also usable as the URL's query. */
  queryString: string;
  signature: string;
  signedHeaders: string;
}

export const ALGORITHM = 'HMAC-SHA256';

/** RFC 3986 encoding: only A-Za-z0-9-_.~ stay literal (encodeURIComponent also keeps !'()*). */
export function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase(),
  );
}

export function canonicalQuery(query: Record<string, string>): string {
  return Object.keys(query)
    .sort()
    .map((k) => `${rfc3986(k)}=${rfc3986(query[k] ?? '')}`)
    .join('&');
}

/** `YYYYMMDDTHHMMSSZ` in UTC. */
export function xDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

function sha256Hex(data: string): string {
  return createHash('sha256').update(data, 'utf8').digest('hex');
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

export function signingKey(secret: string, shortDate: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac(secret, shortDate), region), service), 'request');
}

/** What a signature covers; shared by the client (to sign) and the simulator (to verify). */
export interface CanonicalParts {
  method: string;
  path: string;
  query: Record<string, string>;
  /** Lower-case header name → value, exactly the headers listed in SignedHeaders. */
  signedHeaderValues: Map<string, string>;
  bodyHash: string;
  /** `YYYYMMDDTHHMMSSZ`. */
  xDate: string;
  region: string;
  service: string;
}

export function credentialScope(xDateStamp: string, region: string, service: string): string {
  return `${xDateStamp.slice(0, 8)}/${region}/${service}/request`;
}

/** Hex HMAC-SHA256 signature of a canonical request; pure. */
export function computeSignature(parts: CanonicalParts, secretAccessKey: string): string {
  const names = [...parts.signedHeaderValues.keys()].sort();
  const canonicalHeaders = names.map((n) => `${n}:${parts.signedHeaderValues.get(n)}\n`).join('');
  const canonicalRequest = [
    parts.method.toUpperCase(),
    parts.path,
    canonicalQuery(parts.query),
    canonicalHeaders,
    names.join(';'),
    parts.bodyHash,
  ].join('\n');
  const scope = credentialScope(parts.xDate, parts.region, parts.service);
  const stringToSign = [ALGORITHM, parts.xDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const key = signingKey(secretAccessKey, parts.xDate.slice(0, 8), parts.region, parts.service);
  return createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
}

export function sign(input: SigningInput): SignedRequest {
  const stamp = xDate(input.date);
  const bodyHash = sha256Hex(input.body ?? '');
  const values = new Map<string, string>();
  for (const [name, value] of Object.entries(input.headers ?? {})) values.set(name.toLowerCase(), value.trim());
  values.set('host', input.host);
  values.set('x-date', stamp);
  values.set('x-content-sha256', bodyHash);
  const signedHeaders = [...values.keys()].sort().join(';');
  const signature = computeSignature(
    {
      method: input.method,
      path: input.path ?? '/',
      query: input.query,
      signedHeaderValues: values,
      bodyHash,
      xDate: stamp,
      region: input.region,
      service: input.service,
    },
    input.secretAccessKey,
  );
  const scope = credentialScope(stamp, input.region, input.service);
  const headers: Record<string, string> = { ...input.headers };
  headers['X-Date'] = stamp;
  headers['X-Content-Sha256'] = bodyHash;
  headers['Authorization'] =
    `${ALGORITHM} Credential=${input.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return { headers, queryString: canonicalQuery(input.query), signature, signedHeaders };
}

export function sha256HexOf(data: string): string {
  return sha256Hex(data);
}
