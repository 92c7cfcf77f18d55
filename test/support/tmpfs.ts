import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * A small tmpfs for full-disk tests. Mounting needs root: without it this warns (naming `what` is
 * skipped) and returns false, and the caller skips its real-disk case.
 */
export function mountTmpfs(dir: string, what: string, size = '64k'): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
    return true;
  } catch (err) {
    console.warn(`skipping ${what}: cannot mount a tmpfs (${(err as Error).message.split('\n')[0]})`);
    return false;
  }
}

/** Fill every free block of the file system holding `dir` with files in `dir/filler` (remove it to free them). */
export function fillDisk(dir: string): string {
  const filler = join(dir, 'filler');
  mkdirSync(filler);
  const block = Buffer.alloc(4096, 0x78);
  for (let i = 0; ; i++) {
    const fd = openSync(join(filler, `f${i}`), 'w');
    try {
      writeSync(fd, block);
    } catch {
      break;
    } finally {
      closeSync(fd);
    }
  }
  return filler;
}
