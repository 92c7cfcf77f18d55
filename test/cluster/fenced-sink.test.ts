import { FencedSink } from '../../src/cluster/fenced-sink';
import { AlwaysLeader, Leadership } from '../../src/cluster/leadership';
import type { RoomEvent } from '../../src/rooms/room-event';

const ev = (userId: string): RoomEvent => ({ type: 'join', userId } as unknown as RoomEvent);

describe('FencedSink', () => {
  it('delivers while the leader and withholds once the lease is lost', () => {
    let leader = true;
    const leadership = Object.assign(new AlwaysLeader(), { isLeader: () => leader }) as Leadership;
    const delivered: RoomEvent[] = [];
    const withheld: RoomEvent[] = [];
    const sink = new FencedSink({ emit: (e) => delivered.push(...e) }, leadership, (e) => withheld.push(...e));
    sink.emit([ev('u1')]);
    leader = false;
    sink.emit([ev('u2'), ev('u3')]);
    expect(delivered.map((e) => e.userId)).toEqual(['u1']);
    expect(withheld.map((e) => e.userId)).toEqual(['u2', 'u3']);
  });

  it('always delivers in a single process', () => {
    const delivered: RoomEvent[] = [];
    new FencedSink({ emit: (e) => delivered.push(...e) }, new AlwaysLeader(), () => {
      throw new Error('withheld in a single process');
    }).emit([ev('u1')]);
    expect(delivered).toHaveLength(1);
  });
});
