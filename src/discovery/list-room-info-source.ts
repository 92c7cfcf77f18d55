import { Clock, isAbortError } from '../clock';
import type { Logger } from '../logger';
import type { RateLimiter } from '../ratelimit/limiter';
import { ApiError, TransportError } from '../volc/errors';
import { CallInfo, ListRoomInfoApi, MAX_PAGE_SIZE, RoomListPage } from '../volc/list-room-info';
import type { DiscoveryObserver } from './discovery-observer';
import { HOUR_MS, passRanges, splitRange, TimeRange } from './list-room-info-plan';
import type { RoomRegistry } from './room-registry';

export interface ListRoomInfoSettings {
  lookbackHours: number;
  overlapSeconds: number;
  /** Retries of a retryable failure within a pass (each waits for the limiter again). */
  maxRetries: number;
  retryBaseDelayMs: number;
}

export interface ListRoomInfoSourceDeps {
  appId: string;
  account: string;
  /** The account's current client (it may be replaced by a reload). */
  api(): ListRoomInfoApi;
  /** The account's ListRoomInfo limiter. */
  limiter: RateLimiter;
  registry: RoomRegistry;
  observer: DiscoveryObserver;
  /** Wall clock: the vendor's ranges are wall-clock times. */
  clock: Clock;
  logger: Logger;
  settings(): ListRoomInfoSettings;
}

interface TrackedCall {
  roomId: string;
  createdMs: number;
  finished: boolean;
}

/**
 * Discovery of one app through ListRoomInfo. A pass lists the calls created in its ranges (paging, and
 * splitting a range the vendor says holds more than paging returns), then tells the registry about calls
 * it had not seen live before and rooms whose known calls have all finished. Calls are tracked by CallId,
 * so the overlap between passes never brings back a room that GetRoomOnlineUsers already reported gone;
 * only a new call does. A failed pass changes nothing and the next one covers its range again.
 */
export class ListRoomInfoSource {
  private coveredUntilMs?: number;
  private readonly calls = new Map<string, TrackedCall>();
  private lastProblem?: string;

  constructor(private readonly deps: ListRoomInfoSourceDeps) {}

  /** One pass; never rejects. Resolves with whether it succeeded. */
  async pass(signal?: AbortSignal): Promise<boolean> {
    const { deps } = this;
    const now = deps.clock.now();
    const s = deps.settings();
    const ranges = passRanges(now, s.lookbackHours * HOUR_MS, s.overlapSeconds * 1000, this.coveredUntilMs);
    const found: CallInfo[] = [];
    try {
      for (const range of ranges) await this.listRange(range, found, signal);
    } catch (err) {
      if (isAbortError(err)) return false;
      this.noteProblem(err instanceof ApiError ? `${err.code}: ${err.message}` : String(err));
      return false;
    }
    this.apply(found, now, s.lookbackHours * HOUR_MS);
    this.coveredUntilMs = now;
    deps.observer.passSucceeded('list_room_info', deps.appId, deps.clock.now());
    if (this.lastProblem !== undefined) {
      deps.logger.info({ appId: deps.appId, previous: this.lastProblem }, 'room discovery (ListRoomInfo) recovered');
      this.lastProblem = undefined;
    }
    return true;
  }

  /** Every call in the range, into `out`; a range with more than paging returns is split and retried. */
  private async listRange(range: TimeRange, out: CallInfo[], signal?: AbortSignal): Promise<void> {
    const first = await this.page(range, 1, signal);
    if (first.hasMore) {
      const halves = splitRange(range);
      if (halves) {
        this.deps.observer.rangeSplit();
        for (const half of halves) await this.listRange(half, out, signal);
        return;
      }
      // One second holds more calls than paging returns: take what can be listed and say so.
      this.deps.logger.warn({ appId: this.deps.appId, start: new Date(range.startMs).toISOString(), total: first.total }, 'ListRoomInfo: more calls in one second than paging returns; some may be missed');
    }
    out.push(...first.calls);
    let got = first.calls.length;
    let last = first;
    for (let n = 2; got < first.total && last.calls.length >= MAX_PAGE_SIZE; n++) {
      last = await this.page(range, n, signal);
      out.push(...last.calls);
      got += last.calls.length;
    }
  }

  private async page(range: TimeRange, pageNum: number, signal?: AbortSignal): Promise<RoomListPage> {
    const { deps } = this;
    const s = deps.settings();
    for (let attempt = 0; ; attempt++) {
      const permit = await deps.limiter.permit({ signal });
      try {
        const page = await deps.api().listRoomInfo({ appId: deps.appId, startMs: range.startMs, endMs: range.endMs, pageNum, pageSize: MAX_PAGE_SIZE }, signal, permit);
        deps.observer.request('list_room_info', true);
        return page;
      } catch (err) {
        if (isAbortError(err)) throw err;
        deps.observer.request('list_room_info', false);
        const apiErr = err instanceof ApiError ? err : new TransportError('ConnectionError', String(err));
        if (!apiErr.retryable || attempt >= s.maxRetries) throw apiErr;
        await deps.clock.sleep(s.retryBaseDelayMs * 2 ** attempt, signal);
      }
    }
  }

  private apply(found: readonly CallInfo[], nowMs: number, lookbackMs: number): void {
    const { registry, appId, account } = this.deps;
    const ended = new Set<string>();
    for (const c of found) {
      const known = this.calls.get(c.callId);
      if (!known) {
        this.calls.set(c.callId, { roomId: c.roomId, createdMs: c.createdMs, finished: c.finished });
        if (!c.finished) registry.callLive({ appId, roomId: c.roomId, account }, nowMs);
      } else if (c.finished && !known.finished) {
        known.finished = true;
        ended.add(c.roomId);
      }
    }
    for (const roomId of ended) {
      const stillLive = [...this.calls.values()].some((c) => c.roomId === roomId && !c.finished);
      if (!stillLive) registry.callsEnded(appId, roomId, nowMs);
    }
    // Calls older than the look-back can no longer be listed; forget them.
    const cutoff = nowMs - lookbackMs - HOUR_MS;
    for (const [id, c] of this.calls) if (c.createdMs < cutoff) this.calls.delete(id);
  }

  private noteProblem(problem: string): void {
    const code = problem.split(':')[0];
    if (this.lastProblem?.split(':')[0] !== code) {
      this.deps.logger.warn({ appId: this.deps.appId, account: this.deps.account, reason: problem }, 'room discovery (ListRoomInfo) failed; keeping the rooms found so far');
    }
    this.lastProblem = problem;
  }
}
