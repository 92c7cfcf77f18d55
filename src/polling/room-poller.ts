import { Clock, isAbortError } from '../clock';
import type { Logger } from '../logger';
import type { AdaptiveRate } from '../ratelimit/adaptive-rate';
import type { Permit, RateLimiter } from '../ratelimit/limiter';
import { roomKey } from '../rooms/room-event';
import type { RoomEvent } from '../rooms/room-event';
import type { RoomStore } from '../store/room-store';
import { StateWriteError } from '../store/store';
import type { RoomRef, RoomUsersApi } from '../volc/client';
import { ApiError, TransportError } from '../volc/errors';
import type { RoomSnapshot } from '../volc/room-online-users';

export interface RetryPolicy {
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** Where events go; implemented by the sinks (log, file, webhook). Must not throw. */
export interface EventSink {
  emit(events: readonly RoomEvent[]): void;
}

/** What the poller reports for metrics; implemented by the metrics sink. */
export interface PollObserver {
  permitWaited(seconds: number): void;
  retried(): void;
  throttled(): void;
  failed(ref: RoomRef, err: ApiError): void;
  /** A poll's result could not be committed to the state store. */
  stateWriteFailed(): void;
  /** With callbacks on: changes a poll found that no callback had reported. */
  corrected?(changes: number): void;
}

export interface RoomPollerDeps {
  api: RoomUsersApi;
  limiter: RateLimiter;
  rate: AdaptiveRate;
  store: RoomStore;
  sink: EventSink;
  observer: PollObserver;
  /** Wall clock, for event and success timestamps. */
  clock: Clock;
  /** Monotonic clock, for the adaptive rate's one-second windows. */
  monotonic: Clock;
  logger: Logger;
  retry: RetryPolicy;
  /** Jitter source; injected so tests are deterministic. */
  random?: () => number;
}

/**
 * Polls one room: wait for the shared limiter, call the API, retry transient failures (each retry waits
 * for the limiter again: a retry is a request), then write the outcome to the store and its events to the
 * sink. Never rejects.
 */
export class RoomPoller {
  private retry: RetryPolicy;
  /** Last error code logged per room, so a room that keeps failing the same way logs once. */
  private readonly lastLogged = new Map<string, string>();
  /** Code of the current state-write failure spell, so a failing store logs once, not once per poll. */
  private stateFailing: string | undefined;

  constructor(private readonly deps: RoomPollerDeps) {
    this.retry = deps.retry;
  }

  /** The API settings changed on reload; polls already running finish with the old client. */
  setApi(api: RoomUsersApi): void {
    this.deps.api = api;
  }

  /**
   * A reload pointed the account at another access key: its requests count against that key's limiter and
   * rate from now on. A poll waiting on the old limiter asks the new one when its permit comes.
   */
  setBudget(budget: { limiter: RateLimiter; rate: AdaptiveRate }): void {
    this.deps.limiter = budget.limiter;
    this.deps.rate = budget.rate;
  }

  setRetryPolicy(retry: RetryPolicy): void {
    this.retry = retry;
  }

  /** Forget log state for rooms no longer configured. */
  forget(keep: ReadonlySet<string>): void {
    for (const key of this.lastLogged.keys()) if (!keep.has(key)) this.lastLogged.delete(key);
  }

  /**
   * `permit`: the caller already holds the first request's permit (the due-time pump asks the limiter
   * first and picks the room when it is granted); it still counts when the request leaves (Permit.start),
   * and retries wait for their own. `front`: ahead of the polls waiting for the limiter (a confirm poll
   * after a callback).
   */
  async poll(ref: RoomRef, signal?: AbortSignal, opts: { permit?: Permit; front?: boolean } = {}): Promise<boolean> {
    const { monotonic, observer } = this.deps;
    for (let attempt = 0; ; attempt++) {
      let snapshot: RoomSnapshot;
      let sentMs = 0;
      try {
        // Shutdown closes the limiter, which rejects every waiter; no per-waiter abort listener needed.
        // A retry goes ahead of the rest of the cycle: otherwise a refused room is always the late one.
        const permit = attempt === 0 && opts.permit ? opts.permit : await this.permit(attempt > 0 || opts.front === true);
        observer.permitWaited(permit.waitedMs / 1000);
        // The permit counts when the request actually leaves (Permit.start), not when it was granted; that
        // moment is also the poll's request time, which orders it against callbacks (RoomStore).
        snapshot = await this.deps.api.getRoomOnlineUsers(ref, signal, {
          start: () => permit.start(),
          holds: () => {
            if (!permit.holds()) return false;
            sentMs = this.deps.clock.now();
            return true;
          },
        });
      } catch (err) {
        if (isAbortError(err)) return false; // shutdown: not a failure of the room
        const apiErr = err instanceof ApiError ? err : new TransportError('ConnectionError', describe(err));
        if (apiErr.throttled) {
          observer.throttled();
          this.deps.rate.onThrottled(monotonic.now());
        } else {
          this.deps.rate.onAccepted(monotonic.now());
        }
        if (apiErr.retryable && attempt < this.retry.maxRetries) {
          observer.retried();
          this.deps.logger.debug({ appId: ref.appId, roomId: ref.roomId, code: apiErr.code, attempt }, 'retrying poll');
          try {
            await this.deps.clock.sleep(this.backoffMs(attempt), signal);
          } catch {
            return false;
          }
          continue;
        }
        this.deps.store.applyFailure(ref);
        observer.failed(ref, apiErr);
        this.noteFailure(ref, apiErr);
        return false;
      }
      this.deps.rate.onAccepted(monotonic.now());
      // Outside the request's try: a bug in processing must not be retried as an API failure.
      try {
        // Committed before anything is emitted: a crash after this line repeats nothing, before it loses nothing.
        // A fake API that never calls start leaves sentMs 0: the answer's time stands in for it.
        const nowMs = this.deps.clock.now();
        const result = await this.deps.store.applySuccess(ref, snapshot, nowMs, sentMs || nowMs);
        this.noteStateWritten();
        if (result.corrections > 0) observer.corrected?.(result.corrections);
        if (result.events.length > 0) this.deps.sink.emit(result.events);
        this.noteRecovered(ref);
      } catch (err) {
        if (err instanceof StateWriteError) {
          this.noteStateWriteFailed(ref, err);
          return false;
        }
        this.deps.logger.error({ appId: ref.appId, roomId: ref.roomId, err }, 'processing a poll result failed');
      }
      return true;
    }
  }

  /**
   * The next permit of this poller's budget, for a caller that picks what to poll once it is granted (the
   * poll cycle's lanes); pass it to poll(). Rejects with an AbortError at shutdown.
   */
  nextPermit(): Promise<Permit> {
    return this.permit(false);
  }

  /** A permit of the limiter in force when it is granted (a reload may have moved the account to another key meanwhile). */
  private async permit(front: boolean): Promise<Permit> {
    let waitedMs = 0;
    for (;;) {
      const limiter = this.deps.limiter;
      const permit = await limiter.permit(front ? { front: true } : undefined);
      waitedMs += permit.waitedMs;
      if (limiter === this.deps.limiter) return { ...permit, waitedMs };
      front = true; // it has waited its turn once already
    }
  }

  /** Full jitter: uniform in [0, min(max, base * 2^attempt)]. */
  private backoffMs(attempt: number): number {
    const ceiling = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** attempt);
    return Math.round((this.deps.random ?? Math.random)() * ceiling);
  }

  private noteFailure(ref: RoomRef, err: ApiError): void {
    const key = roomKey(ref.appId, ref.roomId);
    if (this.lastLogged.get(key) === err.code) return;
    this.lastLogged.set(key, err.code);
    this.deps.logger.warn(
      { appId: ref.appId, roomId: ref.roomId, code: err.code, retryable: err.retryable, httpStatus: err.httpStatus, reason: err.message },
      'room poll failed',
    );
  }

  private noteStateWriteFailed(ref: RoomRef, err: StateWriteError): void {
    this.deps.observer.stateWriteFailed();
    if (this.stateFailing === err.code) return;
    this.stateFailing = err.code;
    this.deps.logger.error({ appId: ref.appId, roomId: ref.roomId, code: err.code, reason: err.message }, 'state store commit failed; the poll is not applied and will be diffed again');
  }

  private noteStateWritten(): void {
    if (this.stateFailing === undefined) return;
    this.deps.logger.info({ previousCode: this.stateFailing }, 'state store commits recovered');
    this.stateFailing = undefined;
  }

  private noteRecovered(ref: RoomRef): void {
    const key = roomKey(ref.appId, ref.roomId);
    const code = this.lastLogged.get(key);
    if (code === undefined) return;
    this.lastLogged.delete(key);
    this.deps.logger.info({ appId: ref.appId, roomId: ref.roomId, previousCode: code }, 'room poll recovered');
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : 'unknown error';
}
