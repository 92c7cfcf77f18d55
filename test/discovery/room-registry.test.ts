import { RoomRegistry, SourceRoom } from '../../src/discovery/room-registry';

const room = (roomId: string, extra: Partial<SourceRoom> = {}): SourceRoom => ({ appId: 'app', roomId, account: 'default', ...extra });
const ids = (r: RoomRegistry): string[] => r.active().map((x) => x.roomId);
const exported = (r: RoomRegistry): string[] => r.specs().map((x) => x.roomId);

describe('RoomRegistry', () => {
  it('holds a list source exactly; rooms it drops retire, stay exported for the delay, then leave', () => {
    const r = new RoomRegistry(300_000);
    expect(r.replace('static', 'static', [room('a'), room('b', { capacity: 5 })], 0)).toEqual({ added: 2, removed: 0 });
    expect(ids(r)).toEqual(['a', 'b']);
    expect(r.specs()).toEqual([{ appId: 'app', roomId: 'a' }, { appId: 'app', roomId: 'b', capacity: 5 }]);
    expect(r.replace('static', 'static', [room('b', { capacity: 5 })], 1000)).toEqual({ added: 0, removed: 1 });
    expect(ids(r)).toEqual(['b']);
    expect(exported(r)).toEqual(['a', 'b']);
    expect(r.get('app', 'a')?.retiredAtMs).toBe(1000);
    expect(r.retiredTotal()).toBe(1);
    expect(r.expire(300_999)).toBe(0);
    expect(r.expire(301_000)).toBe(1);
    expect(exported(r)).toEqual(['b']);
  });

  it('drops a fixed room taken out of the config at once, unless another source still holds it', () => {
    const r = new RoomRegistry(300_000);
    r.replace('static', 'static', [room('a'), room('b'), room('c')], 0, { dropAtOnce: true });
    r.replace('file', 'file', [room('b')], 0);
    r.callLive(room('c'), 0);
    r.polled('app', 'c', false, 1);
    expect(r.replace('static', 'static', [], 2, { dropAtOnce: true })).toEqual({ added: 0, removed: 2 });
    expect(exported(r)).toEqual(['b', 'c']);
    expect(ids(r)).toEqual(['b']);
    expect(r.get('app', 'c')?.retiredAtMs).toBe(2);
    expect(r.retiredTotal()).toBe(1);
  });

  it('polls a discovered room until the vendor says it is gone, and again when a new call starts', () => {
    const r = new RoomRegistry(10_000);
    expect(r.callLive(room('live'), 0)).toBe(true);
    expect(r.callLive(room('live'), 500)).toBe(false);
    expect(ids(r)).toEqual(['live']);
    r.polled('app', 'live', true, 1000);
    expect(ids(r)).toEqual(['live']);
    r.polled('app', 'live', false, 2000);
    expect(ids(r)).toEqual([]);
    expect(r.get('app', 'live')).toMatchObject({ retiredAtMs: 2000, sources: ['list_room_info'] });
    expect(r.callLive(room('live'), 5000)).toBe(true);
    expect(r.get('app', 'live')?.retiredAtMs).toBeUndefined();
    expect(r.retiredTotal()).toBe(1);
    r.callsEnded('app', 'live', 6000);
    expect(ids(r)).toEqual([]);
    expect(r.retiredTotal()).toBe(2);
  });

  it('keeps a room held by a list source even when the vendor says it is gone', () => {
    const r = new RoomRegistry(0);
    r.replace('static', 'static', [room('fixed')], 0);
    r.callLive(room('fixed'), 0);
    r.polled('app', 'fixed', false, 1);
    expect(ids(r)).toEqual(['fixed']);
    expect(r.get('app', 'fixed')?.sources).toEqual(['list_room_info', 'static']);
    expect(r.expire(10)).toBe(0);
  });

  it('merges labels of every source, the first source winning a conflict, and bumps the version on changes only', () => {
    const r = new RoomRegistry(0);
    r.replace('file', 'file', [room('x', { labels: { team: 'a', tier: 'gold' } })], 0);
    r.replace('http:0', 'http', [room('x', { labels: { team: 'b', region: 'eu' } })], 0);
    expect(r.get('app', 'x')?.labels).toEqual({ team: 'a', tier: 'gold', region: 'eu' });
    const v = r.version();
    r.replace('file', 'file', [room('x', { labels: { team: 'a', tier: 'gold' } })], 1);
    expect(r.version()).toBe(v);
    r.replace('file', 'file', [room('x', { labels: { team: 'c' } })], 2);
    expect(r.version()).toBeGreaterThan(v);
    expect(r.get('app', 'x')?.labels).toEqual({ team: 'c', region: 'eu' });
  });

  it('a room retired and brought back before expiry keeps its place and is counted once per retirement', () => {
    const r = new RoomRegistry(60_000);
    r.replace('file', 'file', [room('a'), room('b')], 0);
    r.replace('file', 'file', [room('b')], 1);
    r.replace('file', 'file', [room('a'), room('b')], 2);
    expect(ids(r)).toEqual(['a', 'b']);
    expect(r.retiredTotal()).toBe(1);
    expect(r.expire(120_000)).toBe(0);
  });

  it('follows a room to another account: a fixed room moved on reload, and a discovered app moved to another account', () => {
    const r = new RoomRegistry(60_000);
    r.replace('static', 'static', [room('fixed', { account: 'cn' })], 0, { dropAtOnce: true });
    r.callLive(room('live', { account: 'cn' }), 0);
    const v = r.version();
    // A reload names another account for the fixed room: same room, same place, polled with the new one.
    expect(r.replace('static', 'static', [room('fixed', { account: 'eu' })], 1, { dropAtOnce: true })).toEqual({ added: 0, removed: 0 });
    expect(r.version()).toBeGreaterThan(v);
    expect(r.active()).toEqual([
      { appId: 'app', roomId: 'fixed', account: 'eu' },
      { appId: 'app', roomId: 'live', account: 'cn' },
    ]);
    expect(r.get('app', 'fixed')?.account).toBe('eu');
    // The discovered app moved: its old source ends the calls, the new one (other account) finds them again.
    r.endAppLive('app', 2);
    expect(r.callLive(room('live', { account: 'eu' }), 3)).toBe(true);
    expect(r.active().find((x) => x.roomId === 'live')?.account).toBe('eu');
    expect(r.get('app', 'live')?.account).toBe('eu');
  });

  it('a room held by a list source takes that source\'s account over a discovered one', () => {
    const r = new RoomRegistry(60_000);
    r.callLive(room('x', { account: 'cn' }), 0);
    r.replace('file', 'file', [room('x', { account: 'eu' })], 1);
    expect(r.get('app', 'x')?.account).toBe('eu');
    // The file lets go: the room is still live through ListRoomInfo and goes back to its account.
    r.replace('file', 'file', [], 2);
    expect(r.active()).toEqual([{ appId: 'app', roomId: 'x', account: 'cn' }]);
  });
});
