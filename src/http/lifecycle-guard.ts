import type { IncomingHttpHeaders } from 'node:http';

/**
 * Who may call `POST /-/reload`. Off unless `--web.enable-lifecycle` is given (as in Prometheus). When
 * on, a browser must not be tricked into calling it from another site: an HTML form can send a POST
 * cross-site without a CORS preflight, and with the user's saved basic-auth credentials. A form can only
 * send the three "simple" content types, and browsers label such requests with `Sec-Fetch-Site` and
 * `Origin`, so each of those refuses it. curl, Prometheus tooling and scripts send none of them. Pure.
 */

export interface Refusal {
  status: number;
  message: string;
}

const FORM_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain'];

export function lifecycleRefusal(enabled: boolean, headers: IncomingHttpHeaders): Refusal | undefined {
  if (!enabled) return { status: 403, message: 'Lifecycle API is not enabled.' };
  const site = headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    return { status: 403, message: `Cross-site request refused (Sec-Fetch-Site: ${site}).` };
  }
  const origin = headers.origin;
  if (origin !== undefined && !sameOrigin(origin, headers.host)) return { status: 403, message: 'Cross-origin request refused.' };
  const type = (headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (FORM_TYPES.includes(type)) {
    return { status: 415, message: `Content-Type ${type} refused: send no body (e.g. curl -X POST).` };
  }
  return undefined;
}

function sameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  try {
    return new URL(origin).host === host.toLowerCase();
  } catch {
    return false; // "null" (sandboxed frames, file: pages) or garbage
  }
}
