import { cpus, loadavg, totalmem } from 'node:os';
import type { RunInfo } from './report';

/** What the numbers were measured on (they mean little without it). */
export function runInfo(command: string, profile: string, now = new Date()): RunInfo {
  const list = cpus();
  const model = list[0]?.model.trim() ?? 'unknown CPU';
  return {
    command,
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
