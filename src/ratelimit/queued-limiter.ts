import { AbortError, Clock } from '../clock';
import type { RateLimiter } from './limiter';
import { AcquireOptions, WaiterQueue } from './waiter-queue';

/**
 * What both limiters (in-process and Redis) share: one queue of waiters served by a single pump, so callers
 * are let through in the order they asked (a retry first) and only one wait is pending at a time; close()
 * rejects everyone and refuses new callers. A limiter says only how to serve the head of the queue.
 */
export abstract class QueuedLimiter implements RateLimiter {
  protected readonly queue = new WaiterQueue();
  /** Aborted by close(): ends the pump's sleep. */
  protected readonly stopped = new AbortController();
  private pumping = false;
  private closed = false;

  constructor(protected readonly clock: Clock) {}

  acquire(opts?: AcquireOptions): Promise<number> {
    if (this.closed) return Promise.reject(new AbortError('limiter closed'));
    const permit = this.queue.enqueue(this.clock.now(), opts);
    void this.pump();
    return permit;
  }

  /** Requests waiting for a permit. */
  pending(): number {
    return this.queue.length;
  }

  /** Reject everyone waiting and refuse new callers (shutdown). */
  close(): void {
    this.closed = true;
    this.stopped.abort();
    this.queue.rejectAll(new AbortError('limiter closed'));
  }

  /**
   * Grant the head of the queue its permit, or sleep on `stopped.signal` until it may ask again. Rejecting
   * everyone waiting (queue.rejectAll) ends the pump.
   */
  protected abstract serveHead(): Promise<void>;

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.closed && this.queue.length > 0) await this.serveHead();
    } catch {
      // Only close() ends a sleep early, and it has settled every waiter.
    } finally {
      this.pumping = false;
    }
  }
}
