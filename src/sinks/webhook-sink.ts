import { createHmac } from 'node:crypto';
import axios from 'axios';
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import type { EventSink } from '../polling/room-poller';
import type { RoomEvent } from '../rooms/room-event';
import type { DeliveryTarget } from './log-delivery';

/** Structurally the same as `WebhookConfig`, so main can pass the config section as is. */
export interface WebhookSinkOptions {
  url: string;
  /** HMAC-SHA256 key. Never logged and never put in an error. */
  secret?: string;
  batchSize: number;
  flushIntervalMs: number;
  maxQueue: number;
  /** Retries after the first attempt of a batch; 0 means one attempt. */
  maxRetries: number;
  timeoutMs: number;
}

/** What the sink reports for metrics; implemented by the metrics module. */
export interface WebhookObserver {
  /** Events waiting for delivery, including the batch being sent. */
  queueLength(n: number): void;
  dropped(reason: 'queue_full' | 'gave_up', n: number): void;
  /** One per POST attempt. */
  delivery(result: 'success' | 'failure'): void;
}

/** Sends one request; resolves with the HTTP status, rejects on network errors and timeouts. */
export type WebhookPost = (url: string, body: string, headers: Record<string, string>, signal?: AbortSignal) => Promise<{ status: number }>;

export interface WebhookSinkDeps {
  clock: Clock;
  logger: Logger;
  observer: WebhookObserver;
  /** Defaults to an axios POST bounded by `timeoutMs`. */
  post?: WebhookPost;
  /** Jitter source in [0, 1); injected so tests are deterministic. */
  random?: () => number;
  /**
   * Set when the committed event log backs the queue (the daemon): called with the last event id of each
   * delivered batch, to move the sink's cursor. Then a batch is never given up (after `maxRetries` it is
   * retried at the longest backoff) and close() drops nothing: undelivered events stay in the log and are
   * sent after the next start.
   */
  onDelivered?: (lastId: number) => void;
  /**
   * Asked right before every POST (the first and each retry); false: do not send now. The leader's gate
   * (Leadership.isLeader, which checks the lease deadline): a process paused past its lease must not send
   * a timer's retry in the moment before anything told it that it no longer leads.
   */
  mayPost?: () => boolean;
}

/** Longest reply body read from the receiver (it is ignored anyway); a hostile receiver cannot fill the heap. */
export const WEBHOOK_MAX_RESPONSE_BYTES = 1024 * 1024;

/** Largest request body sent (batchSize events are far below it); axios refuses anything bigger. */
export const WEBHOOK_MAX_BODY_BYTES = 16 * 1024 * 1024;
export const WEBHOOK_RETRY_BASE_MS = 500;
export const WEBHOOK_RETRY_MAX_MS = 30_000;

/**
 * `sha256=<hex>` HMAC of the exact body bytes. Only the body is signed: the events carry their own times,
 * so a receiver that wants replay protection can check those; X-RTC-Timestamp is informational.
 */
export function signWebhookBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

interface Queued {
  event: RoomEvent;
  /** When the event was queued, to start the flush interval from the oldest waiting event. */
  atMs: number;
}

type WaitKind = 'idle' | 'batch' | 'backoff';

/**
 * Batches events and POSTs them to a webhook, in order, from a single loop that never overlaps itself
 * and never rejects. A failed batch is retried (exponential backoff, full jitter) before anything after
 * it is sent, so the receiver sees events in order; after `maxRetries` it is dropped and counted.
 *
 * Delivery is at-least-once: a request that times out after the receiver processed it is sent again.
 *
 * When the queue is full the NEWEST events are dropped. That keeps what is queued a gap-free run in
 * emit order and never touches the batch in flight, so each overflow episode leaves exactly one
 * contiguous gap, which is logged (with the time of its first event) for the receiver to reconcile.
 * Dropping the oldest instead would punch a hole behind the batch being retried and could repeat on
 * every emit, scattering gaps through the stream.
 */
export class WebhookSink implements EventSink, DeliveryTarget {
  private readonly queue: Queued[] = [];
  private readonly post: WebhookPost;
  private readonly random: () => number;
  private readonly target: string;
  private closed = false;
  private flushing = 0;
  /** How the loop is waiting right now, and the handle that wakes it early. */
  private waiting: { kind: WaitKind; wake: AbortController } | undefined;
  private inFlight: AbortController | undefined;
  private drainWaiters: Array<() => void> = [];
  /** Events dropped in the current overflow episode; undefined when not overflowing. */
  private overflowDropped: number | undefined;
  private failing = false;
  /** Bumped by discard(): a batch sent before it is neither retried nor acknowledged after it. */
  private epoch = 0;

  constructor(
    private readonly opts: WebhookSinkOptions,
    private readonly deps: WebhookSinkDeps,
  ) {
    this.post = deps.post ?? axiosPost(opts.timeoutMs);
    this.random = deps.random ?? Math.random;
    this.target = redactUrl(opts.url);
    void this.run();
  }

  /** Room in the in-memory queue; the log delivery reads no more than this. */
  capacity(): number {
    return this.closed ? 0 : Math.max(0, this.opts.maxQueue - this.queue.length);
  }

  accept(events: RoomEvent[]): void {
    this.emit(events);
  }

  emit(events: readonly RoomEvent[]): void {
    try {
      if (events.length === 0) return;
      if (this.closed) {
        this.deps.observer.dropped('gave_up', events.length);
        return;
      }
      const accepted = Math.max(0, Math.min(events.length, this.opts.maxQueue - this.queue.length));
      const atMs = this.deps.clock.now();
      for (let i = 0; i < accepted; i++) this.queue.push({ event: events[i]!, atMs });
      if (accepted < events.length) this.noteOverflow(events[accepted]!, events.length - accepted);
      else this.noteAccepted();
      if (accepted > 0) {
        this.deps.observer.queueLength(this.queue.length);
        if (this.waiting?.kind === 'idle' || (this.waiting?.kind === 'batch' && this.queue.length >= this.opts.batchSize)) this.wake();
      }
    } catch (err) {
      // Only an observer or logger bug can land here; the poller must never see it.
      this.deps.logger.error({ sink: 'webhook', err: describe(err) }, 'webhook emit failed');
    }
  }

  /**
   * Send everything queued now, without waiting for full batches or the flush interval, and resolve when
   * the queue is empty or the clock reaches `deadlineMs` (epoch ms on the injected clock), whichever is
   * first. Never rejects. A wait for a retry is cut short once, since shutdown is the last chance.
   */
  async flush(deadlineMs: number): Promise<void> {
    if (this.closed || this.queue.length === 0) return;
    this.flushing++;
    const timer = new AbortController();
    try {
      this.wake();
      const drained = new Promise<void>((resolve) => this.drainWaiters.push(resolve));
      const remainingMs = Math.max(0, deadlineMs - this.deps.clock.now());
      const deadline = this.deps.clock.sleep(remainingMs, timer.signal).catch(() => undefined);
      await Promise.race([drained, deadline]);
    } catch (err) {
      this.deps.logger.error({ sink: 'webhook', err: describe(err) }, 'webhook flush failed');
    } finally {
      timer.abort();
      this.flushing--;
    }
  }

  /**
   * Stop the loop, its timers and any request in flight. Whatever is still queued is counted as given up
   * (so nothing disappears silently) and logged once.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.wake();
    this.inFlight?.abort();
    const left = this.queue.length;
    this.queue.length = 0;
    this.resolveDrainWaiters();
    if (left === 0) return;
    if (this.deps.onDelivered) {
      this.deps.logger.info({ sink: 'webhook', url: this.target, events: left }, 'webhook sink closed with undelivered events; they stay in the event log for the next start');
      return;
    }
    try {
      this.deps.observer.dropped('gave_up', left);
      this.deps.observer.queueLength(0);
      this.deps.logger.warn({ sink: 'webhook', url: this.target, events: left }, 'webhook sink closed with undelivered events; dropped');
    } catch (err) {
      this.deps.logger.error({ sink: 'webhook', err: describe(err) }, 'webhook close failed to report');
    }
  }

  /**
   * Forget everything queued, abort the request in flight and any retry, without reporting anything as
   * delivered: this process may no longer send (it lost the leader lease). The events stay in the log;
   * the leader delivers them from the shared cursor. Resolves nothing; returns how many were dropped.
   */
  discard(): number {
    this.epoch++;
    const left = this.queue.length;
    this.queue.length = 0;
    this.inFlight?.abort();
    this.wake();
    this.overflowDropped = undefined;
    this.deps.observer.queueLength(0);
    this.resolveDrainWaiters();
    if (left > 0) this.deps.logger.info({ sink: 'webhook', url: this.target, events: left }, 'webhook queue discarded (no longer the leader); the leader delivers these events');
    return left;
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      try {
        await this.step();
      } catch (err) {
        // A bug, not a delivery failure (those are handled in deliver). Pause so it cannot spin.
        this.deps.logger.error({ sink: 'webhook', err: describe(err) }, 'webhook loop error');
        await this.wait('backoff', this.opts.flushIntervalMs);
      }
    }
  }

  private async step(): Promise<void> {
    const head = this.queue[0];
    if (!head) {
      await this.wait('idle');
      return;
    }
    if (this.queue.length < this.opts.batchSize && this.flushing === 0) {
      const waitMs = head.atMs + this.opts.flushIntervalMs - this.deps.clock.now();
      if (waitMs > 0) {
        await this.wait('batch', waitMs);
        return;
      }
    }
    const batch = this.queue.slice(0, this.opts.batchSize).map((q) => q.event);
    const epoch = this.epoch;
    const delivered = await this.deliver(batch, epoch);
    if (this.closed || epoch !== this.epoch) return;
    // Drop-newest overflow never touches the head, so the batch is still the first `batch.length` entries.
    this.queue.splice(0, batch.length);
    if (delivered) this.deps.onDelivered?.(batch[batch.length - 1]!.id);
    this.deps.observer.queueLength(this.queue.length);
    if (this.queue.length === 0) this.resolveDrainWaiters();
  }

  /** Send one batch until it succeeds or retries run out; resolves true when delivered. Never rejects. */
  private async deliver(events: RoomEvent[], epoch: number): Promise<boolean> {
    const body = JSON.stringify({ events });
    for (let attempt = 0; ; attempt++) {
      while (this.deps.mayPost && !this.deps.mayPost()) {
        // Usually the refusal discarded the queue already (a leadership change): then this batch is gone.
        if (this.closed || epoch !== this.epoch) return false;
        await this.wait('backoff', this.opts.flushIntervalMs);
      }
      if (this.closed || epoch !== this.epoch) return false;
      const failure = await this.attempt(body);
      if (this.closed || epoch !== this.epoch) return false;
      this.deps.observer.delivery(failure === undefined ? 'success' : 'failure');
      if (failure === undefined) {
        if (this.failing) this.deps.logger.info({ sink: 'webhook', url: this.target }, 'webhook delivery recovered');
        this.failing = false;
        return true;
      }
      if (!this.failing) {
        this.failing = true;
        this.deps.logger.warn({ sink: 'webhook', url: this.target, reason: failure }, 'webhook delivery failing; retrying with backoff');
      }
      if (attempt >= this.opts.maxRetries && !this.deps.onDelivered) {
        this.deps.observer.dropped('gave_up', events.length);
        this.deps.logger.warn(
          { sink: 'webhook', url: this.target, events: events.length, attempts: attempt + 1, firstEventTime: events[0]?.time, lastEventTime: events[events.length - 1]?.time, reason: failure },
          'webhook batch dropped after retries',
        );
        return false;
      }
      await this.wait('backoff', this.backoffMs(attempt));
      if (this.closed || epoch !== this.epoch) return false;
    }
  }

  /** One POST; resolves with undefined on 2xx, else a short reason. The secret never appears in it. */
  private async attempt(body: string): Promise<string | undefined> {
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'X-RTC-Timestamp': String(Math.floor(this.deps.clock.now() / 1000)),
    };
    if (this.opts.secret !== undefined) headers['X-RTC-Signature'] = signWebhookBody(this.opts.secret, body);
    const ctl = new AbortController();
    this.inFlight = ctl;
    try {
      const res = await this.post(this.opts.url, body, headers, ctl.signal);
      return res.status >= 200 && res.status < 300 ? undefined : `HTTP ${res.status}`;
    } catch (err) {
      return describe(err);
    } finally {
      if (this.inFlight === ctl) this.inFlight = undefined;
    }
  }

  /** Full jitter: uniform in [0, min(cap, base * 2^attempt)]. */
  private backoffMs(attempt: number): number {
    const ceiling = Math.min(WEBHOOK_RETRY_MAX_MS, WEBHOOK_RETRY_BASE_MS * 2 ** attempt);
    return Math.round(this.random() * ceiling);
  }

  /** Wait `ms` (or, for 'idle', until woken). Resolves early on wake(); never rejects. */
  private async wait(kind: WaitKind, ms?: number): Promise<void> {
    if (this.closed) return;
    const wake = new AbortController();
    this.waiting = { kind, wake };
    try {
      if (ms === undefined) {
        await new Promise<void>((resolve) => wake.signal.addEventListener('abort', () => resolve(), { once: true }));
      } else {
        await this.deps.clock.sleep(ms, wake.signal).catch(() => undefined);
      }
    } finally {
      if (this.waiting?.wake === wake) this.waiting = undefined;
    }
  }

  private wake(): void {
    this.waiting?.wake.abort();
  }

  private resolveDrainWaiters(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private noteOverflow(firstDropped: RoomEvent, n: number): void {
    this.deps.observer.dropped('queue_full', n);
    if (this.overflowDropped === undefined) {
      this.overflowDropped = 0;
      this.deps.logger.warn(
        { sink: 'webhook', url: this.target, maxQueue: this.opts.maxQueue, firstDroppedEventTime: firstDropped.time },
        'webhook queue full; dropping newest events until it drains',
      );
    }
    this.overflowDropped += n;
  }

  private noteAccepted(): void {
    if (this.overflowDropped === undefined) return;
    this.deps.logger.info({ sink: 'webhook', url: this.target, dropped: this.overflowDropped }, 'webhook queue accepting events again');
    this.overflowDropped = undefined;
  }
}

function axiosPost(timeoutMs: number): WebhookPost {
  const http = axios.create({
    // The response body is ignored; keep it as text so a non-JSON reply is not a parse error.
    responseType: 'text',
    transformResponse: (d: unknown) => d,
    validateStatus: () => true,
    // A redirect would re-send the signed body somewhere else; treat 3xx as a failure instead.
    maxRedirects: 0,
    proxy: false,
    timeout: timeoutMs,
    maxContentLength: WEBHOOK_MAX_RESPONSE_BYTES,
    maxBodyLength: WEBHOOK_MAX_BODY_BYTES,
  });
  return async (url, body, headers, signal) => {
    // axios' `timeout` only covers the wait for the response to start; the signal bounds the whole exchange.
    const timeout = AbortSignal.timeout(timeoutMs);
    const res = await http.post(url, body, { headers, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    return { status: res.status };
  };
}

/** Origin and path only: a URL may carry a token in its query or user info. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '[invalid url]';
  }
}

function describe(err: unknown): string {
  // Only code and message: an axios error object also holds the request config, headers included.
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${err.message}` : `${err.name}: ${err.message}`;
  }
  return 'unknown error';
}
