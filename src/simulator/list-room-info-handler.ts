import { API_ERRORS, ApiErrorCode } from './api-errors';
import type { ApiOutcome } from './api-handler';
import { CallTimeline } from './call-timeline';
import { FlowCap, PeakWindow } from './flow-window';
import { ResponseMetadata, errorMetadata } from './responses';
import { RequestView, VerifierConfig, checkSignature } from './signature-check';
import type { World } from './world';

/**
 * The simulator's ListRoomInfo: signature, its own cap (10 per rolling second by default, apart from
 * GetRoomOnlineUsers'), RFC 3339 StartTime/EndTime (required), the 14-day look-back, ranges over 24 h cut
 * to 24 h, PageNum from 1, PageSize <= 100 (default 20), the data delay, and HasMore when a range holds
 * more calls than paging may return.
 */

export const LIST_ROOM_INFO_ACTION = 'ListRoomInfo';
export const LIST_ROOM_INFO_VERSIONS: readonly string[] = ['2020-12-01', '2023-11-01'];
export const DEFAULT_LIST_CAP_QPS = 10;
/** How many calls paging may return for one range before HasMore says "narrow the range". */
export const DEFAULT_MAX_LISTABLE = 1000;
export const DEFAULT_DATA_DELAY_MS = 20_000;
const DAY_MS = 24 * 3_600_000;
const MAX_LOOKBACK_MS = 14 * DAY_MS;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export interface ListRoomInfoStats {
  requests: number;
  throttled: number;
  /** Most ListRoomInfo arrivals (accepted or not) in any rolling 1000 ms window. */
  maxRequestsInAnyWindow: number;
  byCode: Record<string, number>;
}

export interface ListRoomInfoHandlerDeps {
  timeline: CallTimeline;
  world: World;
  verifier: Omit<VerifierConfig, 'nowMs'>;
  capQps: number;
  maxListable: number;
  dataDelayMs: () => number;
}

type Rejection = { code: ApiErrorCode; message: string };

export class ListRoomInfoHandler {
  private readonly cap: FlowCap;
  private readonly peak = new PeakWindow(1000);
  private requests = 0;
  private throttled = 0;
  private readonly byCode = new Map<string, number>();

  constructor(private readonly deps: ListRoomInfoHandlerDeps) {
    this.cap = new FlowCap(deps.capQps);
  }

  stats(): ListRoomInfoStats {
    return { requests: this.requests, throttled: this.throttled, maxRequestsInAnyWindow: this.peak.max, byCode: Object.fromEntries(this.byCode) };
  }

  handle(req: RequestView, meta: ResponseMetadata, now: number): ApiOutcome {
    this.requests++;
    this.peak.record(now);
    const rejected = checkSignature(req, { ...this.deps.verifier, nowMs: now });
    if (rejected) return this.error(meta, rejected);
    if (!this.cap.tryAccept(now)) {
      this.throttled++;
      return this.error(meta, { code: 'FlowLimitExceeded', message: 'ListRoomInfo rate exceeds 10 per second' });
    }
    const params = this.params(req.query, now);
    if ('code' in params) return this.error(meta, params);
    this.deps.timeline.sync(this.deps.world, now);
    const all = this.deps.timeline.list(params.appId, params.startMs, params.endMs, now, this.deps.dataDelayMs(), params.roomId);
    const listable = all.slice(0, this.deps.maxListable);
    const page = listable.slice((params.pageNum - 1) * params.pageSize, params.pageNum * params.pageSize);
    const result = {
      Total: all.length,
      PageNum: params.pageNum,
      PageSize: params.pageSize,
      HasMore: all.length > this.deps.maxListable,
      RoomList: page.map(({ call, finished }) => ({
        CallId: call.callId,
        RoomId: call.roomId,
        CreatedTime: iso(call.startMs),
        DestroyTime: finished ? iso(call.endMs!) : '',
        IsFinished: finished,
        ActiveUserNum: finished ? 0 : this.deps.world.snapshot(call.appId, call.roomId, 0).visibleCount,
      })),
    };
    this.count('Success');
    return { kind: 'json', status: 200, body: { ResponseMetadata: meta, Result: result }, code: 'Success' };
  }

  private params(q: Record<string, string>, now: number): Rejection | { appId: string; roomId?: string; startMs: number; endMs: number; pageNum: number; pageSize: number } {
    if (!LIST_ROOM_INFO_VERSIONS.includes(q.Version ?? '')) return { code: 'InvalidActionOrVersion', message: `unsupported action ListRoomInfo version ${q.Version}` };
    if (!q.AppId) return { code: 'MissingParameter', message: 'AppId is required' };
    if (!q.StartTime || !q.EndTime) return { code: 'MissingParameter', message: 'StartTime and EndTime are required' };
    const startMs = rfc3339(q.StartTime);
    const endMs = rfc3339(q.EndTime);
    if (startMs === undefined) return { code: 'InvalidParameter', message: 'StartTime is not RFC 3339' };
    if (endMs === undefined) return { code: 'InvalidParameter', message: 'EndTime is not RFC 3339' };
    if (endMs < startMs) return { code: 'InvalidParameter', message: 'EndTime is before StartTime' };
    if (startMs < now - MAX_LOOKBACK_MS) return { code: 'InvalidParameter', message: 'StartTime is more than 14 days ago' };
    const pageNum = q.PageNum === undefined ? 1 : Number(q.PageNum);
    const pageSize = q.PageSize === undefined ? 20 : Number(q.PageSize);
    if (!Number.isInteger(pageNum) || pageNum < 1) return { code: 'InvalidParameter', message: 'PageNum must be an integer >= 1' };
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100) return { code: 'InvalidParameter', message: 'PageSize must be an integer in [1, 100]' };
    // A range longer than 24 h is cut to its first 24 h, as the vendor does.
    return { appId: q.AppId, roomId: q.RoomId || undefined, startMs, endMs: Math.min(endMs, startMs + DAY_MS), pageNum, pageSize };
  }

  private error(meta: ResponseMetadata, r: Rejection): ApiOutcome {
    this.count(r.code);
    return { kind: 'json', status: API_ERRORS[r.code].status, body: { ResponseMetadata: errorMetadata(meta, r.code, r.message) }, code: r.code };
  }

  private count(code: string): void {
    this.byCode.set(code, (this.byCode.get(code) ?? 0) + 1);
  }
}

function rfc3339(text: string): number | undefined {
  if (!RFC3339.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
