import fc from 'fast-check';
import { roomKey } from '../../src/rooms/room-event';

describe('roomKey', () => {
  it('keeps rooms apart whose ids contain the old NUL separator', () => {
    expect(roomKey('a\u0000b', 'c')).not.toBe(roomKey('a', 'b\u0000c'));
  });

  it('property: two different (appId, roomId) pairs never share a key', () => {
    const id = fc.string({ unit: fc.constantFrom('a', 'b', '\u0000', '"', '\\', ',', '[', ']'), maxLength: 6 });
    fc.assert(
      fc.property(id, id, id, id, (a1, r1, a2, r2) => {
        fc.pre(a1 !== a2 || r1 !== r2);
        expect(roomKey(a1, r1)).not.toBe(roomKey(a2, r2));
      }),
    );
  });
});
