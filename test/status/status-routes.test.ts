import { get, IncomingMessage, request } from 'node:http';
import { connect } from 'node:net';
import { HttpServer } from '../../src/http/server';
import { Members } from '../../src/rooms/membership-diff';
import { RoomEvent, roomKey } from '../../src/rooms/room-event';
import { MemoryEventFeed } from '../../src/status/memory-event-feed';
import type { StatusRoom } from '../../src/status/rooms-query';
import { StatusPage } from '../../src/status/status-page';
import { memoryLogger } from '../fakes/recorders';
import { waitFor } from '../support/wait-for';

/** The status routes behind the real HttpServer on loopback, with an in-memory feed and fixed rooms. */

const NOW = 1_700_000_000_000;
const HOSTILE = '<img src=x onerror=alert(1)>';
const SLASHED = 'a/b c%d';

function room(appId: string, roomId: string, visible: string[], invisible: string[] = []): StatusRoom {
  return {
    appId, roomId, exists: true, totalUsers: visible.length + invisible.length, totalInvisibleUsers: invisible.length, up: true, lastSuccessMs: NOW - 2000,
    joins: 0, leaves: 0, visibilityChanges: 0, pollFailures: 0, invisibleTruncated: false, visibleTruncated: false, membership: Members.of(visible, invisible), baselined: true,
  };
}

const ev = (userId: string, roomId = 'lobby', appId = 'app'): Omit<RoomEvent, 'id'> => ({ time: new Date(NOW).toISOString(), type: 'join', appId, roomId, userId, visibility: 'visible' });
/** The store numbers committed events; these tests stand in for it (1, 2, 3, ... per feed). */
const numbered = new WeakMap<object, number>();
const emit = (feed: MemoryEventFeed, events: Omit<RoomEvent, 'id'>[]): void => {
  let n = numbered.get(feed) ?? 0;
  feed.emit(events.map((e) => ({ ...e, id: ++n })));
  numbered.set(feed, n);
};

interface SseClient {
  res: IncomingMessage;
  text: () => string;
  /** `id`s of the `member` events received so far. */
  ids: () => number[];
  close: () => void;
}

function openStream(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const req = get(url, { headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('error', () => undefined);
      resolve({
        res,
        text: () => text,
        ids: () => [...text.matchAll(/^id: (\d+)\nevent: member\n/gm)].map((m) => Number(m[1])),
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
  });
}

describe('status routes', () => {
  const log = memoryLogger();
  let feed: MemoryEventFeed;
  let page: StatusPage;
  let server: HttpServer;
  let base: string;
  const rooms = new Map<string, StatusRoom>();
  /** Bumped when a test adds or removes a room, as the store's room-set version is. */
  let roomSet = 0;

  beforeEach(async () => {
    rooms.clear();
    for (const r of [room('app', 'lobby', ['u2', 'u1'], ['ghost']), room('app', HOSTILE, [HOSTILE]), room('app', SLASHED, [])]) rooms.set(roomKey(r.appId, r.roomId), r);
    feed = new MemoryEventFeed(1000);
    page = new StatusPage({
      rooms: { rooms: () => rooms.values(), room: (a, r) => rooms.get(roomKey(a, r)) },
      counts: { forEachRoom: (visit) => rooms.forEach(visit), roomSetVersion: () => roomSet, hasRoom: (key) => rooms.has(key) },
      feed,
      status: () => ({ version: '1.2.3', ready: true, role: 'single', startTime: new Date(NOW).toISOString(), rooms: rooms.size, accounts: [], cycles: { completed: 0, lastDurationSeconds: null, lastCompletedTime: null, overruns: 0, pollIntervalSeconds: 1 }, discovery: [], latestEventId: feed.latestId() }),
      clock: { now: () => NOW, sleep: () => Promise.resolve() },
      logger: log.logger,
      stream: { heartbeatMs: 60_000, maxBufferedBytes: 64 * 1024, batchLimit: 3, retryMs: 1500 },
    });
    server = new HttpServer({ metrics: async () => ({ contentType: 'text/plain', body: [] }), ready: () => true, reload: async () => undefined, routes: (req, res, p) => page.handle(req, res, p) }, log.logger);
    const addr = await server.listen('127.0.0.1', 0);
    base = `http://127.0.0.1:${addr.port}`;
  });

  afterEach(async () => {
    page.close();
    await server.close();
  });

  it('serves the page with a strict content security policy and the links to metrics, health and readiness', async () => {
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('content-security-policy')).not.toContain('unsafe-inline');
    const html = await res.text();
    for (const href of ['metrics', '-/healthy', '-/ready', 'static/status.js', 'static/status.css']) expect(html).toContain(`"${href}"`);
    // No inline script: every <script> has a src.
    expect(html.match(/<script(?![^>]*\bsrc=)[^>]*>/g)).toBeNull();
    const again = await fetch(`${base}/`, { headers: { 'If-None-Match': res.headers.get('etag')! } });
    expect(again.status).toBe(304);
    expect((await fetch(`${base}/static/status.js`)).headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await fetch(`${base}/static/status.css`)).headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect((await fetch(`${base}/`, { method: 'POST' })).status).toBe(405);
    // The server's own routes still answer.
    expect(await (await fetch(`${base}/-/healthy`)).text()).toBe('Healthy.\n');
    expect((await fetch(`${base}/static/other.js`)).status).toBe(404);
  });

  it('GET /api/rooms pages, sorts and filters, and rejects bad parameters with 400', async () => {
    const all = (await (await fetch(`${base}/api/rooms`)).json()) as { total: number; rooms: { roomId: string }[] };
    expect(all.total).toBe(3);
    expect(all.rooms.map((r) => r.roomId)).toEqual(['lobby', HOSTILE, SLASHED]);
    const filtered = (await (await fetch(`${base}/api/rooms?q=${encodeURIComponent('b c')}&limit=1`)).json()) as { total: number; rooms: { roomId: string }[] };
    expect(filtered).toMatchObject({ total: 1, limit: 1, rooms: [{ roomId: SLASHED, account: 'default', source: 'config' }] });
    const bad = await fetch(`${base}/api/rooms?limit=5000`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'limit: must be an integer from 1 to 1000' });
  });

  it('forgets the recent events of a removed room, even those that arrive after it was removed', async () => {
    const lobbyKey = roomKey('app', 'lobby');
    const lobby = rooms.get(lobbyKey)!;
    emit(feed, [ev('u1')]);
    page.sample();
    rooms.delete(lobbyKey);
    roomSet++;
    page.sample();
    // A poll that was committing when the reload removed the room still hands its events to the feed.
    emit(feed, [ev('late')]);
    rooms.set(lobbyKey, lobby); // the room comes back, with none of its old events
    roomSet++;
    page.sample();
    const back = (await (await fetch(`${base}/api/rooms/app/lobby`)).json()) as { recentEvents: unknown[] };
    expect(back.recentEvents).toEqual([]);
  });

  it('GET /api/rooms/{appId}/{roomId} decodes the ids, 404s unknown rooms and 400s malformed escapes', async () => {
    emit(feed, [ev('u1'), ev('other', SLASHED), ev('u2')]);
    page.sample();
    const lobby = (await (await fetch(`${base}/api/rooms/app/lobby`)).json()) as Record<string, unknown>;
    expect(lobby).toMatchObject({ appId: 'app', roomId: 'lobby', totalUsers: 3, invisibleUsers: 1, members: { visible: ['u1', 'u2'], invisible: ['ghost'] } });
    expect((lobby.recentEvents as { id: number; userId: string }[]).map((e) => [e.id, e.userId])).toEqual([[3, 'u2'], [1, 'u1']]);
    expect(lobby.occupancy).toEqual([{ time: new Date(NOW - 2000).toISOString(), totalUsers: 3, invisibleUsers: 1 }]);

    const slashed = await fetch(`${base}/api/rooms/app/${encodeURIComponent(SLASHED)}`);
    expect(await slashed.json()).toMatchObject({ roomId: SLASHED, recentEvents: [{ userId: 'other' }] });
    const hostile = await fetch(`${base}/api/rooms/app/${encodeURIComponent(HOSTILE)}`);
    expect(await hostile.json()).toMatchObject({ roomId: HOSTILE, members: { visible: [HOSTILE] } });

    const unknown = await fetch(`${base}/api/rooms/app/nope`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: 'unknown room', appId: 'app', roomId: 'nope' });
    expect((await fetch(`${base}/api/rooms/app/a/b c%25d`)).status).toBe(404); // an unescaped slash is a different path
    expect((await fetch(`${base}/api/rooms/app`)).status).toBe(404);
    const malformed = await fetch(`${base}/api/rooms/app/%E0%A4%A`);
    expect(malformed.status).toBe(400);
  });

  it('GET /api/status returns the daemon state', async () => {
    expect(await (await fetch(`${base}/api/status`)).json()).toMatchObject({ version: '1.2.3', ready: true, role: 'single', rooms: 3 });
  });

  it('streams only new events to a client without a cursor, each with an id line', async () => {
    emit(feed, [ev('before')]);
    const client = await openStream(`${base}/api/events/stream`);
    expect(client.res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    await waitFor('preamble', () => (client.text().includes('id: 1\n\n') ? true : undefined));
    expect(client.text().startsWith('retry: 1500\nid: 1\n\n')).toBe(true);
    emit(feed, [ev('after')]);
    await waitFor('live event', () => (client.ids().length === 1 ? true : undefined));
    expect(client.ids()).toEqual([2]);
    const data = /^data: (.*)$/m.exec(client.text())![1]!;
    expect(JSON.parse(data)).toEqual({ id: 2, ...ev('after') });
    client.close();
  });

  it('resumes after Last-Event-ID (header or query), catching up in batches without gaps or repeats', async () => {
    emit(feed, Array.from({ length: 10 }, (_, i) => ev(`u${i + 1}`)));
    const byHeader = await openStream(`${base}/api/events/stream`, { 'Last-Event-ID': '2' });
    const byQuery = await openStream(`${base}/api/events/stream?lastEventId=8`);
    await waitFor('catch-up', () => (byHeader.ids().length === 8 && byQuery.ids().length === 2 ? true : undefined));
    emit(feed, [ev('u11'), ev('u12')]);
    await waitFor('live after catch-up', () => (byHeader.ids().length === 10 ? true : undefined));
    expect(byHeader.ids()).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    await waitFor('query client live', () => (byQuery.ids().length === 4 ? true : undefined));
    expect(byQuery.ids()).toEqual([9, 10, 11, 12]);
    byHeader.close();
    byQuery.close();
  });

  it('replays everything kept when the cursor is ahead of the feed (the feed started over)', async () => {
    emit(feed, [ev('u1'), ev('u2')]);
    const client = await openStream(`${base}/api/events/stream`, { 'Last-Event-ID': '500' });
    await waitFor('replay', () => (client.ids().length === 2 ? true : undefined));
    expect(client.ids()).toEqual([1, 2]);
    client.close();
  });

  it('filters by room and app', async () => {
    const client = await openStream(`${base}/api/events/stream?room=lobby&appId=app`);
    emit(feed, [ev('x', 'stage'), ev('y', 'lobby', 'other-app'), ev('z', 'lobby')]);
    await waitFor('filtered event', () => (client.ids().length === 1 ? true : undefined));
    expect(client.ids()).toEqual([3]);
    client.close();
  });

  it('rejects a malformed Last-Event-ID with 400', async () => {
    const res = await fetch(`${base}/api/events/stream`, { headers: { 'Last-Event-ID': 'abc' } });
    expect(res.status).toBe(400);
  });

  it('unsubscribes a client that disconnects', async () => {
    const baseline = feed.subscriberCount(); // the per-room recent events
    const client = await openStream(`${base}/api/events/stream`);
    await waitFor('subscribed', () => (page.stream.clientCount() === 1 ? true : undefined));
    expect(feed.subscriberCount()).toBe(baseline + 1);
    client.close();
    await waitFor('cleaned up', () => (page.stream.clientCount() === 0 && feed.subscriberCount() === baseline ? true : undefined));
  });

  it('drops a client that stops reading once its unsent output passes the bound', async () => {
    const port = Number(new URL(base).port);
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write('GET /api/events/stream HTTP/1.1\r\nHost: x\r\n\r\n');
    socket.pause(); // never read: the kernel buffers fill, then the server's
    await waitFor('subscribed', () => (page.stream.clientCount() === 1 ? true : undefined));
    const big = 'x'.repeat(2000);
    let batches = 0;
    while (page.stream.clientCount() > 0 && batches < 5000) {
      emit(feed, Array.from({ length: 50 }, () => ev(big)));
      batches++;
      await new Promise((r) => setImmediate(r));
    }
    expect(page.stream.clientCount()).toBe(0);
    expect(log.lines().some((l) => l.msg === 'event stream client too slow; dropped (it resumes on reconnect)')).toBe(true);
    socket.destroy();
  });

  it('sends heartbeat comments', async () => {
    page.close();
    const fast = new StatusPage({
      rooms: { rooms: () => [], room: () => undefined },
      counts: { forEachRoom: () => undefined, roomSetVersion: () => 0, hasRoom: () => false },
      feed,
      status: () => { throw new Error('unused'); },
      clock: { now: () => NOW, sleep: () => Promise.resolve() },
      logger: log.logger,
      stream: { heartbeatMs: 20, maxBufferedBytes: 1 << 20, batchLimit: 10, retryMs: 1000 },
    });
    const srv = new HttpServer({ metrics: async () => ({ contentType: 'text/plain', body: [] }), ready: () => true, reload: async () => undefined, routes: (req, res, p) => fast.handle(req, res, p) }, log.logger);
    const addr = await srv.listen('127.0.0.1', 0);
    const client = await openStream(`http://127.0.0.1:${addr.port}/api/events/stream`);
    await waitFor('two heartbeats', () => (client.text().split(': keepalive\n\n').length > 2 ? true : undefined));
    client.close();
    fast.close();
    await srv.close();
  });

  it('answers HEAD for the API without a body, and without holding a stream open', async () => {
    const head = (path: string): Promise<IncomingMessage> =>
      new Promise<IncomingMessage>((resolve, reject) => {
        const req = request(`${base}${path}`, { method: 'HEAD' }, resolve);
        req.on('error', reject);
        req.end();
      });
    const res = await head('/api/rooms');
    expect(res.statusCode).toBe(200);
    expect(Number(res.headers['content-length'])).toBeGreaterThan(10);
    res.resume();
    const stream = await head('/api/events/stream');
    expect(stream.statusCode).toBe(200);
    expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    await new Promise((resolve) => stream.on('end', resolve).resume());
    expect(page.stream.clientCount()).toBe(0);
  });
});
