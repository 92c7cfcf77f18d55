import { AbortError } from '../clock';

/** How a caller queues for a permit. */
export interface AcquireOptions {
  /** Cancels the wait (the promise rejects with AbortError). */
  signal?: AbortSignal;
  /**
   * Go ahead of everyone waiting. For a retry: its room's poll has already waited its turn once, and
   * sending it behind the rest of the cycle would make that room the late one every time a request is
   * refused (the p99 of freshness would be the refused rooms).
   */
  front?: boolean;
}

/** A permit as handed to its waiter: how long it waited, and the limiter's record of the start it counted. */
export interface Granted {
  waitedMs: number;
  /** What the limiter needs to take the start back (see QueuedLimiter.permit); opaque to the queue. */
  token: unknown;
}

interface Waiter {
  enqueuedAt: number;
  resolve: (granted: Granted) => void;
  reject: (err: Error) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/**
 * The callers waiting for a permit, shared by the in-process and the Redis limiter: each has one pump that
 * grants the head. Two lanes, each first in first out: callers that asked for the front (retries), then
 * everyone else. Aborting a wait removes it. The main lane is an array with a moving head: shift() on a
 * long queue would copy it on every grant (the front lane holds a few retries at most).
 */
export class WaiterQueue {
  private front: Waiter[] = [];
  private items: Waiter[] = [];
  private head = 0;

  get length(): number {
    return this.front.length + this.items.length - this.head;
  }

  /** A promise for the caller's permit; the caller then starts the pump. */
  enqueue(now: number, opts: AcquireOptions = {}): Promise<Granted> {
    const { signal } = opts;
    if (signal?.aborted) return Promise.reject(new AbortError());
    return new Promise<Granted>((resolve, reject) => {
      const waiter: Waiter = { enqueuedAt: now, resolve, reject, signal };
      if (signal) {
        waiter.onAbort = () => {
          const f = this.front.indexOf(waiter);
          if (f >= 0) this.front.splice(f, 1);
          const i = this.items.indexOf(waiter, this.head);
          if (i >= 0) this.items.splice(i, 1);
          reject(new AbortError());
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      (opts.front ? this.front : this.items).push(waiter);
    });
  }

  /**
   * Grant the head its permit at `now`; false if the queue is empty (the head may have aborted while the
   * pump was asking for the permit: the permit is then spent unused, never over the cap).
   */
  grantHead(now: number, token?: unknown): boolean {
    let waiter = this.front.shift();
    if (!waiter) {
      if (this.head >= this.items.length) return false;
      waiter = this.items[this.head++]!;
    }
    this.settle(waiter, undefined, { waitedMs: now - waiter.enqueuedAt, token });
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return true;
  }

  /** Reject everyone waiting (shutdown, or a limiter that cannot grant anything now). */
  rejectAll(err: Error): void {
    const waiting = [...this.front, ...this.items.slice(this.head)];
    this.front = [];
    this.items = [];
    this.head = 0;
    for (const w of waiting) this.settle(w, err);
  }

  private settle(w: Waiter, err?: Error, granted: Granted = { waitedMs: 0, token: undefined }): void {
    if (w.signal && w.onAbort) w.signal.removeEventListener('abort', w.onAbort);
    if (err) w.reject(err);
    else w.resolve(granted);
  }
}
