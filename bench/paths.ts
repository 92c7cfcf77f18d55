import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * Where things are, whether this file runs compiled (dist/bench) or as TypeScript under ts-jest (bench/).
 * The daemon and the probe are always the compiled ones: they run in child processes with plain node.
 */

function findRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${from}`);
    dir = up;
  }
  return dir;
}

export const REPO_ROOT = findRoot(resolve(__dirname));
export const DAEMON_CLI = join(REPO_ROOT, 'dist', 'src', 'cli.js');
export const DAEMON_PROBE = join(REPO_ROOT, 'dist', 'bench', 'probe', 'daemon-probe.js');
export const REFERENCE_CLIENT = join(REPO_ROOT, 'dist', 'bench', 'reference-client.js');
export const DEFAULT_REPORT = join(REPO_ROOT, 'BENCHMARKS.md');
