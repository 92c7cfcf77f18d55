import { LeaderGatedTarget } from '../../src/cluster/leader-delivery';
import type { Leadership, Role } from '../../src/cluster/leadership';
import type { RoomEvent } from '../../src/rooms/room-event';
import { DeliveryTarget, LogDelivery } from '../../src/sinks/log-delivery';
import { MemoryStore } from '../../src/store/memory-store';
import type { NewEvent } from '../../src/store/store';
import { FakeClock, settle } from '../fakes/fake-clock';
import { memoryLogger } from '../fakes/recorders';

const ev = (userId: string): NewEvent => ({ time: '2026-01-01T00:00:00.000Z', type: 'join', appId: 'app', roomId: 'r', userId, visibility: 'visible' });

class Switch implements Leadership {
  leader = false;
  private readonly listeners = new Set<(role: Role) => void>();
  set(role: Role): void {
    this.leader = role === 'leader';
    for (const l of this.listeners) l(role);
  }
  isLeader = (): boolean => this.leader;
  token = (): number | undefined => (this.leader ? 1 : undefined);
  role = (): Role => (this.leader ? 'leader' : 'standby');
  ownsRoomSeries = (): boolean => this.leader;
  onChange(l: (role: Role) => void): () => void {
    this.listeners.add(l);
    return () => void this.listeners.delete(l);
  }
  start(): void {}
  async stop(): Promise<void> {}
}

class Target implements DeliveryTarget {
  got: RoomEvent[] = [];
  capacity = (): number => 1000;
  accept(events: RoomEvent[]): void {
    this.got.push(...events);
  }
}

describe('LeaderGatedTarget (the webhook on a shared store)', () => {
  test('a standby delivers nothing; a new leader resumes from the cursor the previous one stored', async () => {
    const clock = new FakeClock(1_000_000);
    const store = new MemoryStore({ maxEvents: 1000, maxAgeSeconds: 3600 }, () => clock.now()); // the shared log
    const log = memoryLogger();
    const replica = (): { lead: Switch; target: Target; delivery: LogDelivery } => {
      const lead = new Switch();
      const target = new Target();
      const gated = new LeaderGatedTarget(target, lead);
      const delivery = new LogDelivery(store, gated, { name: 'webhook', batch: 100, ackOnAccept: false }, { clock, logger: log.logger, fence: () => 1, observer: { lost: () => undefined, backlog: () => undefined, failed: () => undefined } });
      gated.follow(() => delivery.resync(), log.logger, 'webhook');
      return { lead, target, delivery };
    };
    const commit = (...users: string[]) => store.commitPoll({ appId: 'app', roomId: 'r', exists: true, totalUsers: 0, totalInvisibleUsers: 0, lastSuccessMs: 0, changes: [], events: users.map(ev) }, 1);
    const a = replica();
    const b = replica();
    await a.delivery.start();
    await b.delivery.start();
    a.lead.set('leader');
    b.lead.set('standby');
    await settle();
    await commit('u1', 'u2');
    await clock.advance(1000);
    await settle();
    expect(a.target.got.map((e) => e.userId)).toEqual(['u1', 'u2']);
    expect(b.target.got).toEqual([]);
    a.delivery.ack(1); // the receiver acknowledged u1 only, then a lost the lease
    await settle();
    a.lead.set('standby');
    b.lead.set('leader');
    await commit('u3');
    for (let i = 0; i < 3; i++) {
      await clock.advance(1000);
      await settle();
    }
    expect(b.target.got.map((e) => e.userId)).toEqual(['u2', 'u3']); // at-least-once from the shared cursor
    expect(a.target.got.map((e) => e.userId)).toEqual(['u1', 'u2']);
    await a.delivery.stop();
    await b.delivery.stop();
  });
});
