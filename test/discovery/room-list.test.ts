import { mergeRoomLists, parseRoomList } from '../../src/discovery/room-list';

const ctx = { accounts: new Set(['default', 'eu']), defaultAccount: 'default' };

describe('room lists (files and HTTP)', () => {
  it('reads YAML and JSON lists, unquoted numeric ids, accounts and labels', () => {
    expect(parseRoomList('- {appId: 123, roomId: lobby, labels: {team: blue}}\n- {appId: "a", roomId: "b", account: eu}', ctx)).toEqual([
      { appId: '123', roomId: 'lobby', account: 'default', labels: { team: 'blue' } },
      { appId: 'a', roomId: 'b', account: 'eu' },
    ]);
    expect(parseRoomList('[{"appId":"a","roomId":"r"}]', ctx)).toEqual([{ appId: 'a', roomId: 'r', account: 'default' }]);
    expect(parseRoomList('', ctx)).toEqual([]);
  });

  it.each([
    ['- {appId: a}', '[0].roomId:'],
    ['- {appId: a, roomId: r, labels: {"team-name": x}}', '[0].labels.team-name: must be a Prometheus label name'],
    ['- {appId: a, roomId: r, labels: {__meta: x}}', '[0].labels.__meta: must be a Prometheus label name'],
    ['- {appId: a, roomId: r, labels: {room_id: x}}', '[0].labels.room_id: is reserved'],
    ['- {appId: a, roomId: r, account: us}', '[0].account: no account named us'],
    ['- {appId: a, roomId: r, colour: red}', '[0]: unknown key(s) colour'],
    ['{appId: a, roomId: r}', '(root):'],
    ['[{"appId": "a",', 'not YAML or JSON'],
  ])('%s → %s', (text, expected) => {
    expect(() => parseRoomList(text, ctx)).toThrow(expected);
  });

  it('merges lists, the first to name a room winning', () => {
    const a = [{ appId: 'x', roomId: '1', account: 'default', labels: { from: 'a' } }];
    const b = [{ appId: 'x', roomId: '1', account: 'default', labels: { from: 'b' } }, { appId: 'x', roomId: '2', account: 'default' }];
    expect(mergeRoomLists([a, b])).toEqual([a[0], b[1]]);
  });
});
