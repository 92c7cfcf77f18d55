import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../clock';
import { roomKey } from '../rooms/room-event';
import type { DaemonStatus } from './daemon-status';
import type { EventStream } from './event-stream';
import type { OccupancyHistory } from './occupancy-history';
import type { RecentRoomEvents } from './recent-room-events';
import { parseRoomsQuery, queryRooms, roomRow, StatusRoom } from './rooms-query';
import type { Asset } from './status-assets';

/** The rooms the status page lists; main reads them from the room store (later: the room registry). */
export interface RoomsSource {
  rooms(): Iterable<StatusRoom>;
  room(appId: string, roomId: string): StatusRoom | undefined;
}

export interface StatusRoutesDeps {
  rooms: RoomsSource;
  status: () => DaemonStatus;
  history: OccupancyHistory;
  recent: RecentRoomEvents;
  stream: EventStream;
  assets: ReadonlyMap<string, Asset>;
  clock: Clock;
}

/**
 * The page is plain files and every datum reaches the DOM through textContent, so the policy allows
 * scripts, styles and fetches from this origin only: an id that slipped through as markup still could not
 * run. Relative URLs throughout keep the page working behind a path-prefixing proxy.
 */
const PAGE_HEADERS = {
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

const ROOM_PREFIX = '/api/rooms/';

/**
 * GET /, its static files, /api/rooms, /api/rooms/{appId}/{roomId}, /api/status and /api/events/stream.
 * `handle` returns false for any other path, so the HTTP server keeps its own routes.
 */
export class StatusRoutes {
  constructor(private readonly deps: StatusRoutesDeps) {}

  handle(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    const asset = this.deps.assets.get(path);
    const isApi = path === '/api/rooms' || path.startsWith(ROOM_PREFIX) || path === '/api/status' || path === '/api/events/stream';
    if (!asset && !isApi) return false;
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      sendJson(res, 405, { error: 'method not allowed' });
      return true;
    }
    if (asset) {
      serveAsset(req, res, asset, method === 'HEAD');
      return true;
    }
    const params = new URL(req.url ?? '/', 'http://localhost').searchParams;
    const now = this.deps.clock.now();
    if (path === '/api/rooms') {
      const query = parseRoomsQuery(params);
      if ('error' in query) sendJson(res, 400, { error: query.error });
      else sendJson(res, 200, queryRooms(this.deps.rooms.rooms(), query, now), method === 'HEAD');
    } else if (path === '/api/status') {
      sendJson(res, 200, this.deps.status(), method === 'HEAD');
    } else if (path === '/api/events/stream') {
      if (method === 'HEAD') {
        res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store' });
        res.end();
      } else this.stream(req, res, params);
    } else {
      this.room(res, path.slice(ROOM_PREFIX.length), now, method === 'HEAD');
    }
    return true;
  }

  private room(res: ServerResponse, rest: string, now: number, headOnly: boolean): void {
    const parts = rest.split('/');
    if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
      return sendJson(res, 404, { error: 'expected /api/rooms/{appId}/{roomId} with both ids URL-encoded' });
    }
    let appId: string;
    let roomId: string;
    try {
      appId = decodeURIComponent(parts[0]!);
      roomId = decodeURIComponent(parts[1]!);
    } catch {
      return sendJson(res, 400, { error: 'malformed percent-encoding in the room path' });
    }
    const room = this.deps.rooms.room(appId, roomId);
    if (!room) return sendJson(res, 404, { error: 'unknown room', appId, roomId });
    const key = roomKey(appId, roomId);
    sendJson(
      res,
      200,
      {
        ...roomRow(room, now),
        members: { visible: [...room.membership.visible()].sort(), invisible: [...room.membership.invisible()].sort() },
        recentEvents: this.deps.recent.of(appId, roomId),
        occupancy: this.deps.history.series(key, now).map((p) => ({ time: new Date(p.timeMs).toISOString(), totalUsers: p.totalUsers, invisibleUsers: p.invisibleUsers })),
      },
      headOnly,
    );
  }

  private stream(req: IncomingMessage, res: ServerResponse, params: URLSearchParams): void {
    const raw = req.headers['last-event-id'] ?? params.get('lastEventId') ?? undefined;
    let afterId: number | undefined;
    if (raw !== undefined && raw !== '') {
      if (!/^\d+$/.test(String(raw))) return sendJson(res, 400, { error: 'Last-Event-ID / lastEventId: must be a non-negative integer' });
      afterId = Number(raw);
    }
    const nonEmpty = (v: string | null): string | undefined => (v === null || v === '' ? undefined : v);
    this.deps.stream.serve(req, res, { afterId, appId: nonEmpty(params.get('appId')), roomId: nonEmpty(params.get('room')) });
  }
}

function serveAsset(req: IncomingMessage, res: ServerResponse, asset: Asset, headOnly: boolean): void {
  const headers = { ...PAGE_HEADERS, 'Content-Type': asset.contentType, ETag: asset.etag, 'Cache-Control': 'no-cache' };
  if (req.headers['if-none-match'] === asset.etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  res.writeHead(200, { ...headers, 'Content-Length': asset.body.length });
  res.end(headOnly ? undefined : asset.body);
}

function sendJson(res: ServerResponse, status: number, body: unknown, headOnly = false): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
  res.end(headOnly ? undefined : text);
}
