import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What a finished command printed and how it ended. */
export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command to completion without blocking the jest worker (spawnSync would hold the event loop,
 * and with it jest's timeout, through a two-minute npm install).
 */
export function runCommand(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.once('error', (err) => resolve({ code: null, stdout, stderr: `${stderr}\n[spawn error] ${err.message}` }));
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

interface LockEntry {
  version?: string;
  license?: string;
  dev?: boolean;
  dependencies?: Record<string, string>;
  bin?: Record<string, string>;
  engines?: Record<string, string>;
}

/**
 * An empty project that depends on the packed tarball, with a lockfile holding the production part of the
 * repository's own lockfile.
 *
 * Why a lockfile: without one npm resolves every version range from the registry's full package
 * documents, which `npm ci` never fetched, so an offline install fails with ENOTCACHED. With one, npm
 * takes each dependency by its integrity straight from the cache `npm ci` filled. The versions are the ones
 * the tests ran against, which is also what a user gets from a fresh install today. The dependency tree
 * is hoisted to the project root exactly as it is in the repository, so the entries keep their paths.
 */
export function writeTarballProject(dir: string, repoLock: string, tarball: string): void {
  const lock = JSON.parse(readFileSync(repoLock, 'utf8')) as { packages: Record<string, LockEntry> };
  const root = lock.packages[''] ?? {};
  const spec = `file:${tarball}`;
  const packages: Record<string, LockEntry & { resolved?: string }> = {
    '': { dependencies: { 'rtc-room-monitor': spec } },
    'node_modules/rtc-room-monitor': { version: root.version, resolved: spec, license: root.license, dependencies: root.dependencies, bin: root.bin, engines: root.engines },
  };
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path !== '' && entry.dev !== true) packages[path] = entry;
  }
  const name = 'rtc-room-monitor-install-test';
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, private: true, dependencies: { 'rtc-room-monitor': spec }, allowScripts: { 'better-sqlite3': true } }, null, 2));
  writeFileSync(join(dir, 'package-lock.json'), JSON.stringify({ name, lockfileVersion: 3, requires: true, packages }, null, 2));
}
