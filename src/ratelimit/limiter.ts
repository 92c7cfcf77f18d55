import type { Clock } from '../clock';
import { QueuedLimiter } from './queued-limiter';
import { StartWindow } from './start-window';
import type { AcquireOptions } from './waiter-queue';

export type { AcquireOptions } from './waiter-queue';

/** What pollers need from the limiter: wait for permission to start one request. */
export interface RateLimiter {
  /** Resolves (with the milliseconds waited) when a request may start; rejects with AbortError. */
  acquire(opts?: AcquireOptions): Promise<number>;
}

/**
 * A StartWindow behind the shared waiter queue (queued-limiter.ts). Shared by every room polled with the
 * same access key.
 */
export class SlidingWindowLimiter extends QueuedLimiter {
  private readonly window: StartWindow;

  constructor(
    clock: Clock,
    private readonly rate: { current(): number },
    maxQps: number,
  ) {
    super(clock);
    this.window = new StartWindow(Math.ceil(maxQps));
  }

  protected async serveHead(): Promise<void> {
    const now = this.clock.now();
    const qps = this.rate.current();
    const wait = this.window.delay(now, qps);
    if (wait > 0) {
      // Timers have 1 ms resolution; waking early would only loop, so round up.
      await this.clock.sleep(Math.ceil(wait), this.stopped.signal);
      return;
    }
    this.window.record(now, qps);
    this.queue.grantHead(now);
  }
}
