import { Members } from '../../src/rooms/membership-diff';
import { parseRoomsQuery, queryRooms, RoomsQuery, roomRow, StatusRoom } from '../../src/status/rooms-query';

const NOW = 1_700_000_100_000;

function room(appId: string, roomId: string, over: Partial<StatusRoom> = {}): StatusRoom {
  return {
    appId, roomId, capacity: undefined, exists: true, totalUsers: 0, totalInvisibleUsers: 0, up: true, lastSuccessMs: NOW - 5000,
    joins: 0, leaves: 0, visibilityChanges: 0, pollFailures: 0, invisibleTruncated: false, visibleTruncated: false, membership: new Members(), baselined: true, ...over,
  };
}

const q = (over: Partial<RoomsQuery> = {}): RoomsQuery => ({ q: '', sort: 'totalUsers', order: 'desc', offset: 0, limit: 50, ...over });
const ids = (rooms: { roomId: string }[]): string[] => rooms.map((r) => r.roomId);

describe('parseRoomsQuery', () => {
  it('defaults: biggest rooms first, first page of 50', () => {
    expect(parseRoomsQuery(new URLSearchParams(''))).toEqual(q());
    expect(parseRoomsQuery(new URLSearchParams('sort=roomId'))).toMatchObject({ sort: 'roomId', order: 'asc' });
    expect(parseRoomsQuery(new URLSearchParams('q=%20lob%20&offset=100&limit=1000&order=asc'))).toEqual(q({ q: 'lob', offset: 100, limit: 1000, order: 'asc' }));
  });

  it.each([
    ['sort=userId', /^sort: must be one of account, appId/],
    ['order=up', /^order: must be asc or desc$/],
    ['offset=-1', /^offset: must be an integer from 0/],
    ['offset=1.5', /^offset: /],
    ['limit=0', /^limit: must be an integer from 1 to 1000$/],
    ['limit=1001', /^limit: /],
    ['limit=ten', /^limit: /],
  ])('%s is rejected naming the parameter', (query, message) => {
    const parsed = parseRoomsQuery(new URLSearchParams(query));
    expect('error' in parsed && parsed.error).toMatch(message);
  });
});

describe('queryRooms', () => {
  const rooms = [
    room('app-a', 'lobby', { totalUsers: 12, totalInvisibleUsers: 2, capacity: 40 }),
    room('app-a', 'stage', { totalUsers: 50, capacity: 60, lastSuccessMs: NOW - 60_000 }),
    room('app-b', 'Lobby-2', { totalUsers: 12, up: false, account: 'eu', source: 'ListRoomInfo' }),
    room('app-b', 'new', { up: undefined, lastSuccessMs: undefined, exists: undefined }),
  ];

  it('sorts by total users, largest first, ties by app then room', () => {
    expect(ids(queryRooms(rooms, q(), NOW).rooms)).toEqual(['stage', 'lobby', 'Lobby-2', 'new']);
    expect(ids(queryRooms(rooms, q({ order: 'asc' }), NOW).rooms)).toEqual(['new', 'lobby', 'Lobby-2', 'stage']);
  });

  it('puts unknown values last in either order', () => {
    expect(ids(queryRooms(rooms, q({ sort: 'capacityUse', order: 'desc' }), NOW).rooms)).toEqual(['stage', 'lobby', 'Lobby-2', 'new']);
    expect(ids(queryRooms(rooms, q({ sort: 'capacityUse', order: 'asc' }), NOW).rooms)).toEqual(['lobby', 'stage', 'Lobby-2', 'new']);
    expect(ids(queryRooms(rooms, q({ sort: 'lastSuccessAgeSeconds', order: 'asc' }), NOW).rooms)).toEqual(['lobby', 'Lobby-2', 'stage', 'new']);
    expect(ids(queryRooms(rooms, q({ sort: 'up', order: 'asc' }), NOW).rooms)).toEqual(['Lobby-2', 'lobby', 'stage', 'new']);
  });

  it('filters case-insensitively on app, room, account and source, before paging', () => {
    expect(ids(queryRooms(rooms, q({ q: 'LOBBY' }), NOW).rooms)).toEqual(['lobby', 'Lobby-2']);
    expect(ids(queryRooms(rooms, q({ q: 'app-b' }), NOW).rooms)).toEqual(['Lobby-2', 'new']);
    expect(ids(queryRooms(rooms, q({ q: 'listroom' }), NOW).rooms)).toEqual(['Lobby-2']);
    expect(ids(queryRooms(rooms, q({ q: 'default' }), NOW).rooms)).toEqual(['stage', 'lobby', 'new']);
    expect(queryRooms(rooms, q({ q: 'nothing' }), NOW)).toEqual({ total: 0, offset: 0, limit: 50, rooms: [] });
  });

  it('pages and reports the total before paging', () => {
    const page = queryRooms(rooms, q({ offset: 1, limit: 2 }), NOW);
    expect(page.total).toBe(4);
    expect(ids(page.rooms)).toEqual(['lobby', 'Lobby-2']);
    expect(queryRooms(rooms, q({ offset: 10 }), NOW).rooms).toEqual([]);
  });

  it('pages through 10,000 rooms without losing or repeating one', () => {
    const many = Array.from({ length: 10_000 }, (_, i) => room('app', `r${i}`, { totalUsers: i % 37 }));
    const seen = new Set<string>();
    for (let offset = 0; offset < 10_000; offset += 1000) {
      for (const r of queryRooms(many, q({ offset, limit: 1000 }), NOW).rooms) seen.add(r.roomId);
    }
    expect(seen.size).toBe(10_000);
  });
});

describe('roomRow', () => {
  it('fills account and source until they exist, and nulls what is unknown', () => {
    expect(roomRow(room('a', 'r', { totalUsers: 30, capacity: 40 }), NOW)).toMatchObject({
      account: 'default', source: 'config', capacity: 40, capacityUse: 0.75, up: true, exists: true,
      lastSuccessTime: new Date(NOW - 5000).toISOString(), lastSuccessAgeSeconds: 5,
    });
    expect(roomRow(room('a', 'r', { up: undefined, exists: undefined, lastSuccessMs: undefined, account: 'eu', source: 'file' }), NOW)).toMatchObject({
      account: 'eu', source: 'file', capacity: null, capacityUse: null, up: null, exists: null, lastSuccessTime: null, lastSuccessAgeSeconds: null,
    });
  });
});

describe('poll interval and change rate', () => {
  it('shows the interval and the change rate per minute, null when unknown, and sorts by them', () => {
    const busy = room('a', 'busy', { pollIntervalSeconds: 15, changesPerSecond: 0.1 });
    const idle = room('a', 'idle', { pollIntervalSeconds: 120, changesPerSecond: 0.001 });
    const rr = room('a', 'rr', { pollIntervalSeconds: 57 });
    const retired = room('a', 'retired');
    expect(roomRow(busy, NOW)).toMatchObject({ pollIntervalSeconds: 15, changesPerMinute: 6 });
    expect(roomRow(rr, NOW)).toMatchObject({ pollIntervalSeconds: 57, changesPerMinute: null });
    expect(roomRow(retired, NOW)).toMatchObject({ pollIntervalSeconds: null, changesPerMinute: null });
    const all = [idle, retired, busy, rr];
    expect(ids(queryRooms(all, q({ sort: 'pollIntervalSeconds', order: 'asc' }), NOW).rooms)).toEqual(['busy', 'rr', 'idle', 'retired']);
    const parsed = parseRoomsQuery(new URLSearchParams('sort=changesPerMinute'));
    expect(parsed).toMatchObject({ sort: 'changesPerMinute', order: 'desc' });
    expect(ids(queryRooms(all, parsed as RoomsQuery, NOW).rooms)).toEqual(['busy', 'idle', 'retired', 'rr']);
  });
});
