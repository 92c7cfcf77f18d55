import { parseMemberCallback } from '../../src/callbacks/member-callback';

const data = (extra: Record<string, unknown> = {}): string => JSON.stringify({ RoomId: 'r1', UserId: 'u1', Timestamp: 1718000000000, ...extra });

describe('member callbacks', () => {
  it.each([
    ['UserJoinRoom', { present: true, visibility: 'visible' }],
    ['InvisibleUserJoinRoom', { present: true, visibility: 'invisible' }],
    ['RoleChangeInvisible2Visible', { present: true, visibility: 'visible' }],
    ['RoleChangeVisible2Invisible', { present: true, visibility: 'invisible' }],
    ['UserLeaveRoom', { present: false }],
    ['InvisibleUserLeaveRoom', { present: false }],
  ])('%s', (type, expected) => {
    expect(parseMemberCallback(type, data({ Reason: 'x', Duration: 3, Unknown: true }))).toEqual({
      ok: true,
      callback: { kind: 'member', roomId: 'r1', userId: 'u1', timestampMs: 1718000000000, ...expected },
    });
  });

  it('RoomDestroy needs no user', () => {
    expect(parseMemberCallback('RoomDestroy', JSON.stringify({ RoomId: 'r1', Timestamp: 5 }))).toEqual({ ok: true, callback: { kind: 'destroy', roomId: 'r1', timestampMs: 5 } });
  });

  it('an unknown type is told apart from a malformed body', () => {
    expect(parseMemberCallback('RecordStarted', '{')).toEqual({ ok: false, reason: 'unknown_type', detail: 'RecordStarted' });
  });

  it.each([
    ['not JSON', '{'],
    ['no RoomId', JSON.stringify({ UserId: 'u', Timestamp: 1 })],
    ['no UserId', JSON.stringify({ RoomId: 'r', Timestamp: 1 })],
    ['no Timestamp', JSON.stringify({ RoomId: 'r', UserId: 'u' })],
    ['a fractional Timestamp', JSON.stringify({ RoomId: 'r', UserId: 'u', Timestamp: 1.5 })],
    ['an array', '[]'],
  ])('malformed: %s', (_n, body) => {
    const r = parseMemberCallback('UserJoinRoom', body);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toBe('malformed');
  });

  it('takes a Timestamp sent as a string of digits', () => {
    const r = parseMemberCallback('UserLeaveRoom', JSON.stringify({ RoomId: 'r', UserId: 'u', Timestamp: '42' }));
    expect(r.ok && r.callback.timestampMs).toBe(42);
  });
});
