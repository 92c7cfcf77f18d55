import { AbortError, Clock } from '../clock';
import { StartWindow } from './start-window';

/** What pollers need from the limiter: wait for permission to start one request. */
export interface RateLimiter {
  /** Resolves (with the milliseconds waited) when a request may start; rejects with AbortError. */
  acquire(signal?: AbortSignal): Promise<number>;
}

/** A caller queued for a permit (shared by the in-process and the Redis limiter). */
export interface Waiter {
  enqueuedAt: number;
  resolve: (waitedMs: number) => void;
  reject: (err: Error) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/**
 * One FIFO queue in front of a StartWindow. A single pump serves the head of the queue, so callers are let
 * through in the order they asked (a cycle's stable room order survives) and only one timer is pending.
 * Shared by every room polled with the same access key.
 */
export class SlidingWindowLimiter implements RateLimiter {
  private readonly window: StartWindow;
  private queue: Waiter[] = [];
  private qHead = 0;
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

  acquire(signal?: AbortSignal): Promise<number> {
    if (this.closed) return Promise.reject(new AbortError('limiter closed'));
    if (signal?.aborted) return Promise.reject(new AbortError());
    return new Promise<number>((resolve, reject) => {
      const waiter: Waiter = { enqueuedAt: this.clock.now(), resolve, reject, signal };
      if (signal) {
        waiter.onAbort = () => {
          const i = this.queue.indexOf(waiter, this.qHead);
          if (i >= 0) this.queue.splice(i, 1);
          reject(new AbortError());
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.queue.push(waiter);
      void this.pump();
    });
  }

  /** Requests waiting for a slot. */
  pending(): number {
    return this.queue.length - this.qHead;
  }

  /** Reject everyone waiting and refuse new callers (shutdown). */
  close(): void {
    this.closed = true;
    this.stop.abort();
    for (let i = this.qHead; i < this.queue.length; i++) this.settle(this.queue[i]!, new AbortError('limiter closed'));
    this.queue = [];
    this.qHead = 0;
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.closed && this.qHead < this.queue.length) {
        const now = this.clock.now();
        const qps = this.rate.current();
        const wait = this.window.delay(now, qps);
        if (wait > 0) {
          // Timers have 1 ms resolution; waking early would only loop, so round up.
          await this.clock.sleep(Math.ceil(wait), this.stop.signal);
          continue;
        }
        const waiter = this.queue[this.qHead++]!;
        this.window.record(now, qps);
        this.settle(waiter, undefined, now - waiter.enqueuedAt);
        if (this.qHead > 1024 && this.qHead * 2 > this.queue.length) {
          this.queue = this.queue.slice(this.qHead);
          this.qHead = 0;
        }
      }
    } catch {
      // Only the shutdown abort ends a sleep early; close() has already settled every waiter.
    } finally {
      this.pumping = false;
    }
  }

  private settle(w: Waiter, err?: Error, waitedMs = 0): void {
    if (w.signal && w.onAbort) w.signal.removeEventListener('abort', w.onAbort);
    if (err) w.reject(err);
    else w.resolve(waitedMs);
  }
}
