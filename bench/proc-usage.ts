import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * CPU time and resident memory of another process, read from Linux /proc (no npm package). The parsers
 * are pure so they can be tested on captured text; the readers are thin.
 */

export interface CpuTicks {
  user: number;
  system: number;
}

/**
 * utime and stime (fields 14 and 15 of /proc/<pid>/stat, in clock ticks, all threads included). The
 * command name (field 2) is in parentheses and may hold spaces or parentheses itself, so fields are
 * counted from the last ')'.
 */
export function parseStatTicks(stat: string): CpuTicks {
  const rest = stat.slice(stat.lastIndexOf(')') + 2).trim().split(/\s+/);
  // rest[0] is field 3 (state), so field n is rest[n - 3].
  const user = Number(rest[11]);
  const system = Number(rest[12]);
  if (!Number.isFinite(user) || !Number.isFinite(system)) throw new Error(`unreadable /proc stat line: ${stat.slice(0, 80)}`);
  return { user, system };
}

/** A `Key:   123 kB` line of /proc/<pid>/status, in bytes. */
export function parseStatusKb(status: string, key: string): number {
  const line = status.split('\n').find((l) => l.startsWith(`${key}:`));
  const kb = line === undefined ? NaN : Number(line.slice(key.length + 1).trim().split(/\s+/)[0]);
  if (!Number.isFinite(kb)) throw new Error(`no ${key} in /proc status`);
  return kb * 1024;
}

let ticksPerSecond: number | undefined;

/** USER_HZ: the unit of the tick counts (100 on practically every Linux). */
export function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** CPU seconds the process has used so far, in user space and in the kernel. */
export function cpuSeconds(pid: number): { user: number; system: number } {
  const t = parseStatTicks(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  return { user: t.user / clockTicksPerSecond(), system: t.system / clockTicksPerSecond() };
}

/** Resident set size now, in bytes. */
export function rssBytes(pid: number): number {
  return parseStatusKb(readFileSync(`/proc/${pid}/status`, 'utf8'), 'VmRSS');
}

/** Peak resident set size so far, in bytes. */
export function peakRssBytes(pid: number): number {
  return parseStatusKb(readFileSync(`/proc/${pid}/status`, 'utf8'), 'VmHWM');
}
