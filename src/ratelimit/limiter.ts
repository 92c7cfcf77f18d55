import { AbortError, Clock } from '../clock';
import { StartWindow } from './start-window';
import { AcquireOptions, WaiterQueue } from './waiter-queue';

export type { AcquireOptions } from './waiter-queue';

/** What pollers need from the limiter: wait for permission to start one request. */
export interface RateLimiter {
  /** Resolves (with the milliseconds waited) when a request may start; rejects with AbortError. */
  acquire(opts?: AcquireOptions): Promise<number>;
}

/**
 * One queue of waiters in front of a StartWindow. A single pump serves the head of the queue, so callers are
 * let through in the order they asked (a cycle's stable room order survives; a retry goes first) and only
 * one timer is pending. Shared by every room polled with the same access key.
 */
export class SlidingWindowLimiter implements RateLimiter {
  private readonly window: StartWindow;
  private readonly queue = new WaiterQueue();
  private pumping = false;
  private closed = false;
  private readonly stop = new AbortController();

  constructor(
    private readonly clock: Clock,
    private readonly rate: { current(): number },
    maxQps: number,
  ) {
    this.window = new StartWindow(Math.ceil(maxQps));
  }

  acquire(opts?: AcquireOptions): Promise<number> {
    if (this.closed) return Promise.reject(new AbortError('limiter closed'));
    const permit = this.queue.enqueue(this.clock.now(), opts);
    void this.pump();
    return permit;
  }

  /** Requests waiting for a slot. */
  pending(): number {
    return this.queue.length;
  }

  /** Reject everyone waiting and refuse new callers (shutdown). */
  close(): void {
    this.closed = true;
    this.stop.abort();
    this.queue.rejectAll(new AbortError('limiter closed'));
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.closed && this.queue.length > 0) {
        const now = this.clock.now();
        const qps = this.rate.current();
        const wait = this.window.delay(now, qps);
        if (wait > 0) {
          // Timers have 1 ms resolution; waking early would only loop, so round up.
          await this.clock.sleep(Math.ceil(wait), this.stop.signal);
          continue;
        }
        this.window.record(now, qps);
        this.queue.grantHead(now);
      }
    } catch {
      // Only the shutdown abort ends a sleep early; close() has already settled every waiter.
    } finally {
      this.pumping = false;
    }
  }
}
