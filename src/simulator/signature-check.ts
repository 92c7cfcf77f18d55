import { timingSafeEqual } from 'node:crypto';
import { ALGORITHM, computeSignature, sha256HexOf } from '../volc/signer';
import { ApiRejection } from './api-errors';

/**
 * Server-side check of a Volcengine HMAC-SHA256 signature. Pure: the caller passes the request parts
 * and the simulator's clock reading. Recomputes with the same computeSignature the client uses, so the
 * two can only disagree about what was signed, which is exactly what the check is for.
 */

export interface RequestView {
  method: string;
  /** The raw path as sent (what the client signed). */
  path: string;
  query: Record<string, string>;
  /** Lower-case names, as node's IncomingMessage.headers. */
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface VerifierConfig {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  service: string;
  nowMs: number;
  /** Largest accepted distance between X-Date and the simulator clock; default 15 minutes. */
  maxSkewMs?: number;
}

export const DEFAULT_MAX_SKEW_MS = 15 * 60_000;

interface ParsedAuthorization {
  accessKeyId: string;
  scopeDate: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

function parseAuthorization(value: string): ParsedAuthorization | undefined {
  if (!value.startsWith(`${ALGORITHM} `)) return undefined;
  const fields = new Map<string, string>();
  for (const part of value.slice(ALGORITHM.length + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential')?.split('/');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!credential || credential.length !== 5 || credential[4] !== 'request' || !signedHeaders || !signature) {
    return undefined;
  }
  const [accessKeyId, scopeDate, region, service] = credential as [string, string, string, string];
  return { accessKeyId, scopeDate, region, service, signedHeaders: signedHeaders.split(';'), signature };
}

function header(headers: RequestView['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** `YYYYMMDDTHHMMSSZ` → epoch ms, or NaN. */
export function parseXDate(stamp: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(stamp);
  if (!m) return NaN;
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  return Date.UTC(y as number, (mo as number) - 1, d, h, mi, s);
}

function mismatch(message: string): ApiRejection {
  return { code: 'SignatureDoesNotMatch', message };
}

/** undefined when the request is signed correctly by the configured key; otherwise why not. */
export function checkSignature(req: RequestView, cfg: VerifierConfig): ApiRejection | undefined {
  const authorization = header(req.headers, 'authorization');
  if (!authorization) return { code: 'InvalidAuthorization', message: 'missing Authorization header' };
  const auth = parseAuthorization(authorization);
  if (!auth) return { code: 'InvalidAuthorization', message: 'malformed Authorization header' };
  if (auth.accessKeyId !== cfg.accessKeyId) {
    return { code: 'InvalidAccessKey', message: 'the access key id is not recognised' };
  }

  const stamp = header(req.headers, 'x-date') ?? '';
  const signedAt = parseXDate(stamp);
  if (Number.isNaN(signedAt)) return { code: 'InvalidTimestamp', message: 'X-Date missing or not YYYYMMDDTHHMMSSZ' };
  if (Math.abs(signedAt - cfg.nowMs) > (cfg.maxSkewMs ?? DEFAULT_MAX_SKEW_MS)) {
    return { code: 'InvalidTimestamp', message: 'X-Date is too far from the server time' };
  }

  if (auth.scopeDate !== stamp.slice(0, 8)) return mismatch('credential scope date differs from X-Date');
  if (auth.region !== cfg.region) return mismatch(`credential scope region must be ${cfg.region}`);
  if (auth.service !== cfg.service) return mismatch(`credential scope service must be ${cfg.service}`);

  // Like the real gateway, any signed-header set that includes x-date is accepted: the vendor's official
  // Node SDK signs only `x-date` by default (no host), and the gateway takes those requests.
  if (!auth.signedHeaders.includes('x-date')) {
    return { code: 'InvalidAuthorization', message: 'SignedHeaders must include x-date' };
  }
  const values = new Map<string, string>();
  for (const name of auth.signedHeaders) {
    const value = header(req.headers, name);
    if (value === undefined) return { code: 'InvalidAuthorization', message: `signed header ${name} is missing` };
    values.set(name, value.trim());
  }

  const bodyHash = sha256HexOf(req.body);
  const claimed = header(req.headers, 'x-content-sha256');
  if (claimed !== undefined && claimed !== bodyHash) return mismatch('X-Content-Sha256 does not match the body');

  const expected = computeSignature(
    {
      method: req.method,
      path: req.path,
      query: req.query,
      signedHeaderValues: values,
      bodyHash,
      xDate: stamp,
      region: cfg.region,
      service: cfg.service,
    },
    cfg.secretAccessKey,
  );
  const given = Buffer.from(auth.signature.toLowerCase());
  const want = Buffer.from(expected);
  if (given.length !== want.length || !timingSafeEqual(given, want)) {
    return mismatch('the request signature does not match');
  }
  return undefined;
}
