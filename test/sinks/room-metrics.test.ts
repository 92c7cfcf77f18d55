import fc from 'fast-check';
import type { RoomView } from '../../src/store/room-store';
import { RoomFamiliesRenderer } from '../../src/sinks/room-metrics';
import { Members } from '../../src/rooms/membership-diff';

type Mutable = { -readonly [K in keyof RoomView]: RoomView[K] };

function room(appId: string, roomId: string): Mutable {
  return {
    appId,
    roomId,
    totalUsers: 0,
    totalInvisibleUsers: 0,
    joins: 0,
    leaves: 0,
    visibilityChanges: 0,
    pollFailures: 0,
    invisibleTruncated: false, visibleTruncated: false,
    membership: new Members(),
    baselined: false,
  };
}

/** A change between two scrapes: a field of one room, the room list, or the view objects themselves. */
const change = fc.oneof(
  fc.record({ kind: fc.constant('value' as const), at: fc.nat(), field: fc.constantFrom('totalUsers', 'totalInvisibleUsers', 'joins', 'leaves', 'visibilityChanges', 'pollFailures', 'lastSuccessMs', 'capacity'), value: fc.option(fc.integer({ min: 0, max: 1e7 }), { nil: undefined }) }),
  fc.record({ kind: fc.constant('flag' as const), at: fc.nat(), field: fc.constantFrom('exists', 'up', 'invisibleTruncated', 'visibleTruncated'), value: fc.option(fc.boolean(), { nil: undefined }) }),
  fc.record({ kind: fc.constant('add' as const), at: fc.nat(), id: fc.string({ maxLength: 6 }) }),
  fc.record({ kind: fc.constant('remove' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('swap' as const), a: fc.nat(), b: fc.nat() }),
  fc.record({ kind: fc.constant('copy' as const) }),
);

describe('RoomFamiliesRenderer', () => {
  it('renders incrementally exactly what a fresh renderer renders, after any changes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 20 }), fc.array(fc.array(change, { maxLength: 6 }), { maxLength: 12 }), (chunkRooms, initial, scrapes) => {
        let rooms = Array.from({ length: initial }, (_, i) => room('app', `r${i}`));
        const incremental = new RoomFamiliesRenderer(chunkRooms);
        expect(incremental.render(rooms)).toBe(new RoomFamiliesRenderer(chunkRooms).render(rooms));
        for (const changes of scrapes) {
          for (const c of changes) {
            const n = rooms.length;
            if (c.kind === 'value' && n > 0) (rooms[c.at % n] as Record<string, unknown>)[c.field] = c.value;
            else if (c.kind === 'flag' && n > 0) (rooms[c.at % n] as Record<string, unknown>)[c.field] = c.value;
            else if (c.kind === 'add') rooms.splice(c.at % (n + 1), 0, room('a"\\', c.id));
            else if (c.kind === 'remove' && n > 0) rooms.splice(c.at % n, 1);
            else if (c.kind === 'swap' && n > 0) [rooms[c.a % n], rooms[c.b % n]] = [rooms[c.b % n]!, rooms[c.a % n]!];
            // A store may hand out new view objects on every scrape.
            else if (c.kind === 'copy') rooms = rooms.map((r) => ({ ...r }));
          }
          expect(incremental.render(rooms)).toBe(new RoomFamiliesRenderer(1000).render(rooms));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('hands out unchanged pieces as the same objects, and renders again only what changed', () => {
    const rooms = Array.from({ length: 10 }, (_, i) => ({ ...room('app', `r${i}`), exists: true, up: true, lastSuccessMs: 1000 }));
    const renderer = new RoomFamiliesRenderer(4);
    const first = renderer.segments(rooms);
    rooms[5]!.lastSuccessMs = 2000;
    const second = renderer.segments(rooms);
    expect(second).toHaveLength(first.length);
    const changed = second.filter((s, i) => s !== first[i]).map((s) => s.text);
    expect(changed).toEqual([expect.stringContaining('rtc_room_last_success_timestamp_seconds{app_id="app",room_id="r5"} 2\n')]);
    expect(changed[0]).toContain('room_id="r4"'); // the chunk of rooms 4-7
    expect(changed[0]).not.toContain('room_id="r3"');
  });
});
