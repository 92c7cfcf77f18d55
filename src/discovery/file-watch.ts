import { FSWatcher, watch } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';

/** The directory part of a glob before its first wildcard, e.g. `rooms/*.yaml` → `rooms`. */
export function globBaseDir(pattern: string, cwd: string): string {
  const parts = pattern.split('/');
  const firstMagic = parts.findIndex((p) => /[*?[\]{}!]/.test(p));
  const base = firstMagic < 0 ? dirname(pattern) : parts.slice(0, firstMagic).join('/') || '.';
  return isAbsolute(base) ? base : join(cwd, base);
}

/**
 * Calls `changed` (debounced) when anything in the globs' directories changes. A directory that cannot be
 * watched is skipped: the periodic re-read still picks up its files, a little later.
 */
export function watchGlobs(patterns: readonly string[], cwd: string, changed: () => void, debounceMs = 200): () => void {
  const watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;
  const fire = (): void => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      changed();
    }, debounceMs);
    timer.unref();
  };
  for (const dir of new Set(patterns.map((p) => globBaseDir(p, cwd)))) {
    try {
      const w = watch(dir, { persistent: false }, fire);
      w.on('error', () => w.close());
      watchers.push(w);
    } catch {
      // missing or unreadable directory: rely on the periodic re-read
    }
  }
  return () => {
    if (timer) clearTimeout(timer);
    for (const w of watchers) w.close();
  };
}
