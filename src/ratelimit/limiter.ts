import type { Clock } from '../clock';
import { QueuedLimiter } from './queued-limiter';
import { GUARD_MS, StartWindow } from './start-window';
import type { AcquireOptions, Granted } from './waiter-queue';

export type { AcquireOptions } from './waiter-queue';

/** A granted permit whose start is confirmed when the request actually leaves. */
export interface Permit {
  /** Milliseconds waited for the grant. */
  waitedMs: number;
  /**
   * Call at the moment the request is sent (after any asynchronous step between the grant and the send).
   * Resolves at once when the grant is still fresh; a late one waits again for a start counted now.
   * Rejects with AbortError when the limiter closes meanwhile.
   */
  start(): Promise<void>;
  /**
   * Call synchronously at the instant the request's bytes are released, after start() resolved: whether
   * the start it counted still holds. Continuations may run between start()'s check and the send (a
   * synchronous state commit, a GC pause), so the check is repeated where nothing can come between. False:
   * the grant went stale; call start() again (it gives the start back and waits for a new one).
   */
  holds(): boolean;
}

/** What pollers need from the limiter: wait for permission to start one request. */
export interface RateLimiter {
  /** Resolves (with the milliseconds waited) when a request may start; rejects with AbortError. */
  acquire(opts?: AcquireOptions): Promise<number>;
  /** As acquire, for a request that confirms its start when it is sent (Permit.start). */
  permit(opts?: AcquireOptions): Promise<Permit>;
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
    this.queue.grantHead(now, now);
  }

  /** Half the guard: lag up to it is what the guard is for; beyond it the start is re-counted. */
  protected readonly lateMs = GUARD_MS / 2;

  protected grantedAt(granted: Granted): number {
    return granted.token as number;
  }

  protected takeBack(granted: Granted): void {
    this.window.remove(granted.token as number);
  }

  /** Counted from the send (at most lateMs after the grant); no round trip, unlike the Redis window. */
  protected override sentNow(granted: Granted): Granted {
    const now = this.clock.now();
    this.window.restamp(granted.token as number, now);
    return { ...granted, token: now };
  }
}
