import { resolve } from 'node:path';

/** Absolute paths the integration tests share, so no test depends on the cwd jest was started from. */
export const REPO_ROOT = resolve(__dirname, '..', '..');

/** The compiled daemon entry point (`npm run build`). */
export const DAEMON_CLI = resolve(REPO_ROOT, 'dist', 'src', 'cli.js');

export function repoPath(...parts: string[]): string {
  return resolve(REPO_ROOT, ...parts);
}
