import { parseEnvelope } from './envelope';
import type { Gate } from './send-gate';
import { TransportError } from './errors';

/**
 * ListRoomInfo: the calls of an app whose creation time falls in a range (at most 24 h a query, 14 days
 * back, PageSize <= 100). The same RoomId appears once per call (CallId). A call is live while
 * `IsFinished` is false and `DestroyTime` empty. `HasMore: true` means more calls match than paging can
 * return: the caller must narrow the range.
 */
export const LIST_ROOM_INFO = 'ListRoomInfo';
export const MAX_PAGE_SIZE = 100;

export interface CallInfo {
  callId: string;
  roomId: string;
  createdMs: number;
  /** undefined while the call runs. */
  destroyedMs?: number;
  finished: boolean;
  activeUsers: number;
}

export interface RoomListPage {
  total: number;
  pageNum: number;
  pageSize: number;
  hasMore: boolean;
  calls: CallInfo[];
}

export interface ListRoomInfoQuery {
  appId: string;
  /** Creation time range, epoch ms (sent as RFC 3339, whole seconds: start rounded down, end up). */
  startMs: number;
  endMs: number;
  pageNum: number;
  pageSize: number;
  roomId?: string;
}

/** The narrow view of the vendor API discovery needs; tests pass fakes. */
export interface ListRoomInfoApi {
  /** `start`: the rate-limit permit, run when the request is about to leave (client.ts SendGate). */
  listRoomInfo(query: ListRoomInfoQuery, signal?: AbortSignal, start?: Gate): Promise<RoomListPage>;
}

/** RFC 3339 in UTC with whole seconds, e.g. 2026-11-30T10:00:00Z. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The query parameters (besides Action and Version). Pure. */
export function listRoomInfoParams(q: ListRoomInfoQuery): Record<string, string> {
  const params: Record<string, string> = {
    AppId: q.appId,
    StartTime: rfc3339(Math.floor(q.startMs / 1000) * 1000),
    EndTime: rfc3339(Math.ceil(q.endMs / 1000) * 1000),
    PageNum: String(q.pageNum),
    PageSize: String(q.pageSize),
  };
  if (q.roomId !== undefined) params.RoomId = q.roomId;
  return params;
}

function malformed(message: string, status: number): TransportError {
  return new TransportError('MalformedResponse', message, status);
}

function nonNegativeInt(v: unknown, field: string, status: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw malformed(`Result.${field} is missing or not a non-negative integer`, status);
  return v;
}

/** A time field: RFC 3339 text (or epoch seconds, which some versions use); empty means "not yet". */
function time(v: unknown, field: string, status: number): number | undefined {
  if (v === undefined || v === null || v === '' || v === 0) return undefined;
  const ms = typeof v === 'number' ? v * 1000 : typeof v === 'string' ? Date.parse(v) : NaN;
  if (!Number.isFinite(ms)) throw malformed(`${field} is not a time`, status);
  return ms;
}

function call(v: unknown, i: number, status: number): CallInfo {
  if (typeof v !== 'object' || v === null) throw malformed(`Result.RoomList[${i}] is not an object`, status);
  const r = v as Record<string, unknown>;
  const field = (name: string): string => `Result.RoomList[${i}].${name}`;
  if (typeof r.RoomId !== 'string' || r.RoomId === '') throw malformed(`${field('RoomId')} is missing`, status);
  if (typeof r.CallId !== 'string') throw malformed(`${field('CallId')} is missing`, status);
  const createdMs = time(r.CreatedTime, field('CreatedTime'), status);
  if (createdMs === undefined) throw malformed(`${field('CreatedTime')} is missing`, status);
  const destroyedMs = time(r.DestroyTime, field('DestroyTime'), status);
  if (r.IsFinished !== undefined && typeof r.IsFinished !== 'boolean') throw malformed(`${field('IsFinished')} is not a boolean`, status);
  // A call with a destroy time has ended even if a version leaves IsFinished out.
  const finished = r.IsFinished === true || destroyedMs !== undefined;
  const activeUsers = typeof r.ActiveUserNum === 'number' && r.ActiveUserNum >= 0 ? r.ActiveUserNum : 0;
  return { callId: r.CallId, roomId: r.RoomId, createdMs, destroyedMs, finished, activeUsers };
}

/** Turn a response (status + raw text) into a page, or throw the ApiError that explains it. Pure. */
export function parseListRoomInfo(status: number, body: string): RoomListPage {
  const result = parseEnvelope(status, body);
  const list = result.RoomList ?? [];
  if (!Array.isArray(list)) throw malformed('Result.RoomList is not a list', status);
  if (typeof result.HasMore !== 'boolean') throw malformed('Result.HasMore is missing or not a boolean', status);
  return {
    total: nonNegativeInt(result.Total, 'Total', status),
    pageNum: nonNegativeInt(result.PageNum, 'PageNum', status),
    pageSize: nonNegativeInt(result.PageSize, 'PageSize', status),
    hasMore: result.HasMore,
    calls: list.map((c, i) => call(c, i, status)),
  };
}
