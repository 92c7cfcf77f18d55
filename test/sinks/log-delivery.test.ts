import type { RoomEvent } from '../../src/rooms/room-event';
import { DeliveryTarget, LogDelivery } from '../../src/sinks/log-delivery';
import { MemoryStore } from '../../src/store/memory-store';
import type { NewEvent } from '../../src/store/store';
import { FakeClock, settle } from '../fakes/fake-clock';
import { memoryLogger } from '../fakes/recorders';

const ev = (userId: string): NewEvent => ({ time: '2026-01-01T00:00:00.000Z', type: 'join', appId: 'app', roomId: 'r', userId, visibility: 'visible' });

class Target implements DeliveryTarget {
  got: RoomEvent[] = [];
  room = 1000;
  failNext = 0;
  capacity(): number {
    return this.room;
  }
  accept(events: RoomEvent[]): void {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('disk full');
    }
    this.got.push(...events);
  }
}

function setup(retention = { maxEvents: 1000, maxAgeSeconds: 3600 }) {
  const clock = new FakeClock(1_000_000);
  const store = new MemoryStore(retention, () => clock.now());
  const target = new Target();
  const lost: number[] = [];
  const backlog: number[] = [];
  const failures = { n: 0 };
  const log = memoryLogger();
  const make = (ackOnAccept = true, batch = 100): LogDelivery =>
    new LogDelivery(store, target, { name: 'file', batch, ackOnAccept }, { clock, logger: log.logger, fence: () => 1, observer: { lost: (n) => lost.push(n), backlog: (n) => backlog.push(n), failed: () => void failures.n++ } });
  const commit = async (...users: string[]): Promise<RoomEvent[]> =>
    store.commitPoll({ appId: 'app', roomId: 'r', exists: true, totalUsers: 0, totalInvisibleUsers: 0, lastSuccessMs: 0, changes: [], events: users.map(ev) }, 1);
  return { clock, store, target, lost, backlog, failures, log, make, commit };
}

describe('LogDelivery', () => {
  test('a sink seen for the first time starts at the end of the log and stores that start at once', async () => {
    const t = setup();
    await t.commit('old');
    const d = t.make();
    expect(await d.start()).toBe(1);
    expect(await t.store.getCursor('file')).toBe(1);
    await t.commit('new');
    await settle();
    expect(t.target.got.map((e) => e.userId)).toEqual(['new']);
    expect(await t.store.getCursor('file')).toBe(2);
    await d.stop();
  });

  test('resumes after the stored cursor, or after an explicit start, in id order and in batches', async () => {
    const t = setup();
    await t.commit('a', 'b', 'c', 'd', 'e');
    await t.store.setCursor('file', 1, 1);
    const d = t.make(true, 2);
    await d.start();
    await t.clock.advance(0);
    await settle();
    expect(t.target.got.map((e) => e.id)).toEqual([2, 3, 4, 5]);
    await d.stop();
    const again = setup();
    await again.commit('a', 'b', 'c');
    await again.store.setCursor('file', 3, 1);
    const d2 = again.make();
    await d2.start(1);
    await settle();
    expect(again.target.got.map((e) => e.id)).toEqual([2, 3]);
    await d2.stop();
  });

  test('a target that throws gets the same events again after a pause; nothing skipped, nothing doubled', async () => {
    const t = setup();
    const d = t.make();
    await d.start();
    t.target.failNext = 2;
    await t.commit('a', 'b');
    await settle();
    expect(t.target.got).toEqual([]);
    expect(await t.store.getCursor('file')).toBe(0);
    await t.clock.advance(1000);
    await t.clock.advance(1000);
    expect(t.target.got.map((e) => e.userId)).toEqual(['a', 'b']);
    expect(t.failures.n).toBe(2);
    expect(t.log.lines().filter((l) => l.msg === 'event delivery from the log failing; retrying')).toHaveLength(1);
    expect(t.log.lines().filter((l) => l.msg === 'event delivery from the log recovered')).toHaveLength(1);
    await d.stop();
  });

  test('with acks, the cursor moves only when the target says it is done; drain waits for it', async () => {
    const t = setup();
    const d = t.make(false);
    await d.start();
    await t.commit('a', 'b', 'c');
    await settle();
    expect(t.target.got).toHaveLength(3);
    expect(await t.store.getCursor('file')).toBe(0);
    expect(t.backlog[t.backlog.length - 1]).toBe(3);
    let drained: boolean | undefined;
    void d.drain(t.clock.now() + 5000).then((ok) => (drained = ok));
    await settle();
    expect(drained).toBeUndefined();
    d.ack(2);
    await settle();
    expect(await t.store.getCursor('file')).toBe(2);
    expect(drained).toBeUndefined();
    d.ack(3);
    await t.clock.advance(0);
    await settle();
    expect(drained).toBe(true);
    expect(t.backlog[t.backlog.length - 1]).toBe(0);
    await d.stop();
  });

  test('drain gives up at the deadline', async () => {
    const t = setup();
    const d = t.make(false);
    await d.start();
    await t.commit('a');
    let drained: boolean | undefined;
    void d.drain(t.clock.now() + 3000).then((ok) => (drained = ok));
    await t.clock.advance(3000);
    await settle();
    expect(drained).toBe(false);
    await d.stop();
  });

  test('events retention removed before delivery are counted as lost and logged, and delivery goes on', async () => {
    const t = setup({ maxEvents: 2, maxAgeSeconds: 3600 });
    const d = t.make();
    t.target.room = 0; // a stalled target
    await d.start();
    await t.commit('a', 'b', 'c', 'd', 'e');
    await t.store.prune(t.clock.now(), 1);
    t.target.room = 1000;
    d.wake();
    await settle();
    expect(t.target.got.map((e) => e.userId)).toEqual(['d', 'e']);
    expect(t.lost).toEqual([3]);
    expect(t.log.lines().find((l) => l.msg === 'events were removed by retention before this sink delivered them')).toMatchObject({ lost: 3, afterId: 0, resumedAt: 4 });
    await d.stop();
  });
});
