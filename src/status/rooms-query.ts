import type { RoomView } from '../store/room-store';

/**
 * A room as the status page reads it: the store's view plus where it belongs. `account` and `source`
 * are absent until multi-account and discovery exist; rows then say "default" and "config".
 */
export type StatusRoom = RoomView & {
  readonly account?: string;
  readonly source?: string;
  /** The room's current target interval between polls. */
  readonly pollIntervalSeconds?: number;
  /** Estimated member changes per second (polling.strategy adaptive only). */
  readonly changesPerSecond?: number;
};

/** One row of GET /api/rooms. Field names are the API contract (README "Status page and API"). */
export interface RoomRow {
  account: string;
  appId: string;
  roomId: string;
  source: string;
  /** null until the first successful poll. */
  exists: boolean | null;
  totalUsers: number;
  invisibleUsers: number;
  capacity: number | null;
  /** totalUsers / capacity; null without a capacity. */
  capacityUse: number | null;
  /** Whether the last poll succeeded; null before the first poll ended. */
  up: boolean | null;
  lastSuccessTime: string | null;
  lastSuccessAgeSeconds: number | null;
  joins: number;
  leaves: number;
  visibilityChanges: number;
  pollFailures: number;
  invisibleTruncated: boolean;
  visibleTruncated: boolean;
  /** Seconds between two polls the scheduler aims for now; null for a room not polled (retired). */
  pollIntervalSeconds: number | null;
  /** Estimated member changes per minute (polling.strategy adaptive); null under round-robin. */
  changesPerMinute: number | null;
}

export function roomRow(room: StatusRoom, nowMs: number): RoomRow {
  const last = room.lastSuccessMs;
  return {
    account: room.account ?? 'default',
    appId: room.appId,
    roomId: room.roomId,
    source: room.source ?? 'config',
    exists: room.exists ?? null,
    totalUsers: room.totalUsers,
    invisibleUsers: room.totalInvisibleUsers,
    capacity: room.capacity ?? null,
    capacityUse: room.capacity ? room.totalUsers / room.capacity : null,
    up: room.up ?? null,
    lastSuccessTime: last === undefined ? null : new Date(last).toISOString(),
    lastSuccessAgeSeconds: last === undefined ? null : Math.max(0, (nowMs - last) / 1000),
    joins: room.joins,
    leaves: room.leaves,
    visibilityChanges: room.visibilityChanges,
    pollFailures: room.pollFailures,
    invisibleTruncated: room.invisibleTruncated,
    visibleTruncated: room.visibleTruncated,
    pollIntervalSeconds: room.pollIntervalSeconds ?? null,
    changesPerMinute: room.changesPerSecond === undefined ? null : room.changesPerSecond * 60,
  };
}

export const SORT_KEYS = ['account', 'appId', 'roomId', 'source', 'totalUsers', 'invisibleUsers', 'capacityUse', 'up', 'lastSuccessAgeSeconds', 'pollFailures', 'pollIntervalSeconds', 'changesPerMinute'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export interface RoomsQuery {
  /** Case-insensitive substring of account, appId, roomId or source; empty matches all. */
  q: string;
  sort: SortKey;
  order: 'asc' | 'desc';
  offset: number;
  limit: number;
}

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 1000;

/** Parse the query string of GET /api/rooms; an error names the parameter. */
export function parseRoomsQuery(params: URLSearchParams): RoomsQuery | { error: string } {
  const sort = params.get('sort') ?? 'totalUsers';
  if (!(SORT_KEYS as readonly string[]).includes(sort)) return { error: `sort: must be one of ${SORT_KEYS.join(', ')}` };
  const order = params.get('order') ?? (sort === 'totalUsers' || sort === 'invisibleUsers' || sort === 'capacityUse' || sort === 'pollFailures' || sort === 'changesPerMinute' ? 'desc' : 'asc');
  if (order !== 'asc' && order !== 'desc') return { error: 'order: must be asc or desc' };
  const offset = intParam(params, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
  if (typeof offset === 'string') return { error: offset };
  const limit = intParam(params, 'limit', DEFAULT_LIMIT, 1, MAX_LIMIT);
  if (typeof limit === 'string') return { error: limit };
  return { q: (params.get('q') ?? '').trim(), sort: sort as SortKey, order, offset, limit };
}

function intParam(params: URLSearchParams, name: string, fallback: number, min: number, max: number): number | string {
  const raw = params.get(name);
  if (raw === null || raw === '') return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) return `${name}: must be an integer from ${min} to ${max}`;
  return n;
}

export interface RoomsPage {
  /** Rooms matching q (before paging). */
  total: number;
  offset: number;
  limit: number;
  rooms: RoomRow[];
}

/**
 * Filter, sort and page. Pure. Filtering runs on the views before any row is built, and rows are built
 * only for the page, so a 10,000-room query costs one pass, one sort and `limit` rows (BENCHMARKS.md).
 */
export function queryRooms(rooms: Iterable<StatusRoom>, query: RoomsQuery, nowMs: number): RoomsPage {
  const needle = query.q.toLowerCase();
  const matched: StatusRoom[] = [];
  for (const r of rooms) {
    if (needle === '' || matches(r, needle)) matched.push(r);
  }
  const key = sortValue(query.sort, nowMs);
  const dir = query.order === 'asc' ? 1 : -1;
  // Keys computed once per room, not twice per comparison.
  const keyed = matched.map((r) => ({ r, k: key(r) }));
  keyed.sort(({ r: a, k: x }, { r: b, k: y }) => {
    // Unknown values (no capacity, never polled) go last in either order.
    if (x !== y) {
      if (x === null) return 1;
      if (y === null) return -1;
      return (x < y ? -1 : 1) * dir;
    }
    return a.appId < b.appId ? -1 : a.appId > b.appId ? 1 : a.roomId < b.roomId ? -1 : a.roomId > b.roomId ? 1 : 0;
  });
  const page = keyed.slice(query.offset, query.offset + query.limit).map(({ r }) => roomRow(r, nowMs));
  return { total: matched.length, offset: query.offset, limit: query.limit, rooms: page };
}

/**
 * Lower-cased search text per room view, built on first use. The ids of a view never change; its account
 * and sources can (a discovery source adds or drops the room), so they are part of the cache key. A filter
 * over 10,000 rooms then does not lower-case 40,000 strings on every request.
 */
const searchText = new WeakMap<StatusRoom, { key: string; text: string }>();

function matches(r: StatusRoom, needle: string): boolean {
  const account = r.account ?? 'default';
  const source = r.source ?? 'config';
  const key = `${account}\u0000${source}`;
  let cached = searchText.get(r);
  if (cached === undefined || cached.key !== key) {
    // NUL cannot be typed into the filter, so a match never spans two fields.
    cached = { key, text: `${account}\u0000${r.appId}\u0000${r.roomId}\u0000${source}`.toLowerCase() };
    searchText.set(r, cached);
  }
  return cached.text.includes(needle);
}

function sortValue(sort: SortKey, nowMs: number): (r: StatusRoom) => string | number | null {
  switch (sort) {
    case 'account':
      return (r) => r.account ?? 'default';
    case 'appId':
      return (r) => r.appId;
    case 'roomId':
      return (r) => r.roomId;
    case 'source':
      return (r) => r.source ?? 'config';
    case 'totalUsers':
      return (r) => r.totalUsers;
    case 'invisibleUsers':
      return (r) => r.totalInvisibleUsers;
    case 'capacityUse':
      return (r) => (r.capacity ? r.totalUsers / r.capacity : null);
    case 'up':
      return (r) => (r.up === undefined ? null : r.up ? 1 : 0);
    case 'lastSuccessAgeSeconds':
      return (r) => (r.lastSuccessMs === undefined ? null : nowMs - r.lastSuccessMs);
    case 'pollFailures':
      return (r) => r.pollFailures;
    case 'pollIntervalSeconds':
      return (r) => r.pollIntervalSeconds ?? null;
    case 'changesPerMinute':
      return (r) => (r.changesPerSecond === undefined ? null : r.changesPerSecond);
  }
}
