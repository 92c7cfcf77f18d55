import { resolve } from 'node:path';
import { ConfigError, loadConfigFile } from './config/load';
import { readEventsFromFile } from './store/sqlite-store';

/**
 * `rtc-room-monitor events --after ID [--limit N]`: print committed events from the state database as
 * NDJSON, oldest first. Reads the file directly (WAL lets it read while the daemon writes), so it works
 * whether or not the daemon is running. Resolves with the exit code.
 */
export function printEvents(configPath: string, after: string | undefined, limit: string | undefined, out: (s: string) => void, err: (s: string) => void): number {
  const afterId = parseCount(after ?? '0');
  const max = parseCount(limit ?? '1000000');
  if (afterId === undefined) return fail(err, '--after: must be a non-negative integer');
  if (max === undefined || max === 0) return fail(err, '--limit: must be a positive integer');
  let file: string;
  try {
    const cfg = loadConfigFile(configPath);
    if (cfg.state.backend === 'memory') return fail(err, 'state.backend is memory: there is no event log on disk; use GET /api/events on the running daemon');
    if (cfg.state.backend === 'redis') return fail(err, `state.backend is redis: read the stream ${cfg.cluster?.redis.keyPrefix ?? ''}events with XRANGE / XREAD (README, "Cluster mode"), or GET /api/events on a replica`);
    file = resolve(cfg.state.file);
  } catch (e) {
    return fail(err, e instanceof ConfigError ? e.message : String(e));
  }
  try {
    // Paged, so a large log is never held in memory at once.
    let pos = afterId;
    let left = max;
    while (left > 0) {
      const page = readEventsFromFile(file, pos, Math.min(left, 1000));
      for (const e of page) out(`${JSON.stringify(e)}\n`);
      if (page.length === 0) break;
      pos = page[page.length - 1]!.id;
      left -= page.length;
    }
    return 0;
  } catch (e) {
    return fail(err, e instanceof Error ? e.message : String(e));
  }
}

function parseCount(s: string): number | undefined {
  if (!/^\d+$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : undefined;
}

function fail(err: (s: string) => void, message: string): number {
  err(`${message}\n`);
  return 1;
}
