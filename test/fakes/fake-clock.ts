import { AbortError, Clock } from '../../src/clock';

interface Timer {
  dueMs: number;
  /** Registration order, to break ties between timers due at the same instant. */
  seq: number;
  resolve: () => void;
}

/**
 * A Clock that only moves when a test says so. `advance()` fires due timers one at a time, earliest
 * deadline first (ties in registration order), and lets promise chains settle between them, so code that
 * sleeps, wakes, and sleeps again inside one advance behaves as it would with real time.
 *
 * A sleep of 0 ms (or less) is due "now" and fires on the next advance, even `advance(0)`: nothing ever
 * resolves behind the test's back.
 */
export class FakeClock implements Clock {
  private nowMs: number;
  private seq = 0;
  private timers: Timer[] = [];

  constructor(startMs = 0) {
    this.nowMs = startMs;
  }

  now(): number {
    return this.nowMs;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(new AbortError());
        return;
      }
      const onAbort = (): void => {
        this.timers = this.timers.filter((t) => t !== timer);
        reject(new AbortError());
      };
      const timer: Timer = {
        dueMs: this.nowMs + Math.max(0, ms),
        seq: this.seq++,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      this.timers.push(timer);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Move time forward by `ms`, firing every timer that falls due on the way. */
  async advance(ms: number): Promise<void> {
    await this.advanceTo(this.nowMs + Math.max(0, ms));
  }

  /** Move time to `targetMs` (never backwards), firing every timer due by then. */
  async advanceTo(targetMs: number): Promise<void> {
    const target = Math.max(targetMs, this.nowMs);
    // Let work started before this call register its timers first.
    await settle();
    for (;;) {
      const next = this.nextDue(target);
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.nowMs = next.dueMs;
      next.resolve();
      await settle();
    }
    this.nowMs = target;
    await settle();
  }

  /** Deadlines of the sleeps still waiting, in firing order. */
  pendingTimers(): number[] {
    return [...this.timers].sort(byDeadline).map((t) => t.dueMs);
  }

  private nextDue(target: number): Timer | undefined {
    let best: Timer | undefined;
    for (const t of this.timers) {
      if (t.dueMs > target) continue;
      if (!best || byDeadline(t, best) < 0) best = t;
    }
    return best;
  }
}

function byDeadline(a: Timer, b: Timer): number {
  return a.dueMs - b.dueMs || a.seq - b.seq;
}

/**
 * Let pending promise chains run to completion. The microtask queue is drained before any macrotask, so
 * one setImmediate turn settles arbitrarily long chains; the second covers code that itself defers to a
 * setImmediate (as some fakes do).
 */
export async function settle(): Promise<void> {
  for (let i = 0; i < 2; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
