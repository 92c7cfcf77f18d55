import { AbortError, Clock } from '../clock';
import type { Permit, RateLimiter } from './limiter';
import { AcquireOptions, Granted, WaiterQueue } from './waiter-queue';

/**
 * What both limiters (in-process and Redis) share: one queue of waiters served by a single pump, so callers
 * are let through in the order they asked (a retry first) and only one wait is pending at a time; close()
 * rejects everyone and refuses new callers. A limiter says only how to serve the head of the queue, how
 * to take back a start it counted, and how late a request may leave after its grant.
 */
export abstract class QueuedLimiter implements RateLimiter {
  protected readonly queue = new WaiterQueue();
  /** Aborted by close(): ends the pump's sleep. */
  protected readonly stopped = new AbortController();
  private pumping = false;
  private closed = false;

  constructor(protected readonly clock: Clock) {}

  acquire(opts?: AcquireOptions): Promise<number> {
    return this.enqueue(opts).then((g) => g.waitedMs);
  }

  async permit(opts?: AcquireOptions): Promise<Permit> {
    let granted = await this.enqueue(opts);
    return {
      waitedMs: granted.waitedMs,
      start: async () => {
        granted = await this.confirm(granted, opts);
      },
      holds: () => {
        if (!this.fresh(granted)) return false;
        granted = this.sentNow(granted);
        return true;
      },
    };
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
   * Grant the head of the queue its permit (queue.grantHead with a token the limiter can take the start
   * back by), or sleep on `stopped.signal` until it may ask again. Rejecting everyone waiting
   * (queue.rejectAll) ends the pump.
   */
  protected abstract serveHead(): Promise<void>;

  /** The start counted for a grant did not happen then (the request had not left): forget it. */
  protected abstract takeBack(granted: Granted): void;

  /**
   * How long after its grant (by the monotonic clock, see grantedAt) a request may still leave as that
   * grant's start: less than the window's guard, which already absorbs the usual lag.
   */
  protected abstract readonly lateMs: number;

  /** The monotonic time a grant was counted at, or an earlier one (never later: lateness must not be missed). */
  protected abstract grantedAt(granted: Granted): number;

  /**
   * The request of a fresh grant leaves now (Permit.holds): a limiter may move its counted start from the
   * grant to this moment, so the window's guard is kept whole for what comes after (the write itself, a
   * GC or a preemption inside it) instead of partly spent on the grant's lateness. Returns the grant as it
   * is now counted. Default: nothing moves.
   */
  protected sentNow(granted: Granted): Granted {
    return granted;
  }

  private enqueue(opts?: AcquireOptions): Promise<Granted> {
    if (this.closed) return Promise.reject(new AbortError('limiter closed'));
    const granted = this.queue.enqueue(this.clock.now(), opts);
    void this.pump();
    return granted;
  }

  /**
   * The moment the request actually leaves. The cap is about starts at the vendor, not grants: a grant
   * that reaches its request late (the event loop stalled between them, a connection that took its time)
   * would otherwise start together with the grants after it. Still fresh: it starts now. Late: its counted
   * start is taken back and the request waits again, ahead of the queue, for a start counted now.
   */
  private async confirm(granted: Granted, opts?: AcquireOptions): Promise<Granted> {
    let g = granted;
    while (!this.fresh(g)) {
      this.takeBack(g);
      g = await this.enqueue({ ...opts, front: true });
    }
    return g;
  }

  /** Whether a request leaving now may count as `granted`'s start. */
  private fresh(granted: Granted): boolean {
    return this.clock.now() - this.grantedAt(granted) <= this.lateMs;
  }

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
