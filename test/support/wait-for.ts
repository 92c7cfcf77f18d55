import { waitUntil } from '../../bench/wait';

/**
 * Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs` naming what it
 * waited for and the last error the probe threw. Integration tests use this instead of fixed sleeps, so
 * they finish as soon as the condition holds and fail with a reason when it never does. (The harness in
 * bench/ owns the implementation; tests may import bench/, the build may not import test/.)
 */
export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

export function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  { timeoutMs = 20_000, intervalMs = 200 }: WaitOptions = {},
): Promise<T> {
  return waitUntil(what, probe, timeoutMs, intervalMs);
}
