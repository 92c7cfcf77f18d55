import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Asset {
  contentType: string;
  body: Buffer;
  etag: string;
}

/** URL path → file under assets/ (copied next to the compiled code by `npm run build`). */
const FILES: Record<string, { file: string; contentType: string }> = {
  '/': { file: 'index.html', contentType: 'text/html; charset=utf-8' },
  '/static/status.js': { file: 'status.js', contentType: 'text/javascript; charset=utf-8' },
  '/static/status.css': { file: 'status.css', contentType: 'text/css; charset=utf-8' },
};

/**
 * The page's static files, read once at start: plain HTML, CSS and JavaScript with no build step of their
 * own, so what is in src/status/assets is exactly what the browser runs. A missing file fails the start,
 * not the first page view.
 */
export function loadStatusAssets(dir = join(__dirname, 'assets')): Map<string, Asset> {
  const out = new Map<string, Asset>();
  for (const [path, { file, contentType }] of Object.entries(FILES)) {
    const body = readFileSync(join(dir, file));
    out.set(path, { contentType, body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });
  }
  return out;
}
