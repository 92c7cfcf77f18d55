import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { REPO_ROOT } from './paths';
import type { RunInfo } from './report';

/** The commit measured, and whether src/ differed from it (numbers belong to a version of the code). */
export function sourceRevision(): string {
  const git = (...args: string[]): string => execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const head = git('rev-parse', '--short', 'HEAD');
    return git('status', '--porcelain', '--', 'src') === '' ? head : `${head} + uncommitted changes in src/`;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

/** What the numbers were measured on (they mean little without it). */
export function runInfo(command: string, profile: string, now = new Date()): RunInfo {
  const list = cpus();
  const model = list[0]?.model.trim() ?? 'unknown CPU';
  return {
    command,
    revision: sourceRevision(),
    date: now.toISOString().replace(/\.\d+Z$/, 'Z'),
    profile,
    node: process.version,
    cpus: `${list.length} × ${model}`,
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    loadAverage: loadavg()
      .map((l) => l.toFixed(2))
      .join(' / '),
  };
}
