import { LeaderGatedTarget } from '../../src/cluster/leader-delivery';
import type { Leadership, Role } from '../../src/cluster/leadership';
import type { RoomEvent } from '../../src/rooms/room-event';
import { DeliveryTarget, LogDelivery } from '../../src/sinks/log-delivery';
import { MemoryStore } from '../../src/store/memory-store';
import { WebhookSink } from '../../src/sinks/webhook-sink';
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
      const gated = new LeaderGatedTarget(Object.assign(target, { discard: () => 0 }), lead, clock);
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

describe('LeaderGatedTarget: the first leader establishes the shared cursor', () => {
  test('a replica that started later and takes over before anything was acknowledged resumes from the first leader\'s start', async () => {
    const clock = new FakeClock(1_000_000);
    const store = new MemoryStore({ maxEvents: 1000, maxAgeSeconds: 3600 }, () => clock.now());
    const log = memoryLogger();
    const replica = (): { lead: Switch; target: Target; delivery: LogDelivery } => {
      const lead = new Switch();
      const target = new Target();
      const gated = new LeaderGatedTarget(Object.assign(target, { discard: () => 0 }), lead, clock);
      const delivery = new LogDelivery(store, gated, { name: 'webhook', batch: 100, ackOnAccept: false }, { clock, logger: log.logger, fence: () => lead.token(), observer: { lost: () => undefined, backlog: () => undefined, failed: () => undefined } });
      gated.follow(() => delivery.resync(), log.logger, 'webhook');
      return { lead, target, delivery };
    };
    const commit = (...users: string[]) => store.commitPoll({ appId: 'app', roomId: 'r', exists: true, totalUsers: 0, totalInvisibleUsers: 0, lastSuccessMs: 0, changes: [], events: users.map(ev) }, 1);
    const a = replica();
    await a.delivery.start(); // not leading yet: it cannot store its start
    a.lead.set('leader');
    await settle();
    await commit('u1', 'u2', 'u3'); // handed to a's receiver, never acknowledged
    const b = replica();
    await b.delivery.start(); // starts at the end of the log (3)
    a.lead.set('standby');
    b.lead.set('leader');
    for (let i = 0; i < 3; i++) {
      await clock.advance(1000);
      await settle();
    }
    expect(b.target.got.map((e) => e.userId)).toEqual(['u1', 'u2', 'u3']);
    await a.delivery.stop();
    await b.delivery.stop();
  });
});

/**
 * Issue #18, defects 3 and 4, with the real WebhookSink and LogDelivery on a shared log whose fence is a
 * lease the test hands from term to term.
 */
describe('the webhook across leadership changes', () => {
  class Lease implements Leadership {
    term = 0;
    leader = false;
    private readonly listeners = new Set<(role: Role) => void>();
    lead(): void {
      this.term++;
      this.leader = true;
      for (const l of this.listeners) l('leader');
    }
    depose(): void {
      this.leader = false;
      for (const l of this.listeners) l('standby');
    }
    /** The lease ran out while the process was paused: noticed (and announced) at the next isLeader(). */
    expired = false;
    isLeader = (): boolean => {
      if (this.leader && this.expired) {
        this.expired = false;
        this.depose();
      }
      return this.leader;
    };
    token = (): number | undefined => (this.leader ? this.term : undefined);
    role = (): Role => (this.leader ? 'leader' : 'standby');
    ownsRoomSeries = (): boolean => this.leader;
    onChange(l: (role: Role) => void): () => void {
      this.listeners.add(l);
      return () => void this.listeners.delete(l);
    }
    start(): void {}
    async stop(): Promise<void> {}
  }

  const setup = () => {
    const clock = new FakeClock(1_000_000);
    const lease = new Lease();
    const store = new MemoryStore({ maxEvents: 1000, maxAgeSeconds: 3600 }, () => clock.now(), { holds: (t) => t !== undefined && lease.leader && t === lease.term });
    const log = memoryLogger();
    let status = 500;
    const posted: number[][] = [];
    const late: { delivery?: LogDelivery } = {};
    const sink = new WebhookSink(
      { url: 'http://receiver.test/hook', batchSize: 10, flushIntervalMs: 100, maxQueue: 100, maxRetries: 2, timeoutMs: 1000 },
      {
        clock,
        logger: log.logger,
        observer: { queueLength: () => undefined, dropped: () => undefined, delivery: () => undefined },
        random: () => 1,
        post: async (_url, body) => {
          posted.push((JSON.parse(body) as { events: RoomEvent[] }).events.map((e) => e.id));
          return { status };
        },
        onDelivered: (id) => {
          late.delivery?.ack(id);
          late.delivery?.wake();
        },
        mayPost: () => lease.isLeader(),
      },
    );
    const gated = new LeaderGatedTarget(sink, lease, clock);
    let cursorReadsFailing = 0;
    const getCursor = store.getCursor.bind(store);
    const cursorLog = Object.assign(Object.create(store) as MemoryStore, {
      getCursor: (name: string) => (cursorReadsFailing-- > 0 ? Promise.reject(new Error('command timed out')) : getCursor(name)),
    });
    const delivery = new LogDelivery(cursorLog, gated, { name: 'webhook', batch: 10, ackOnAccept: false }, { clock, logger: log.logger, fence: () => lease.token(), observer: { lost: () => undefined, backlog: () => undefined, failed: () => undefined } });
    late.delivery = delivery;
    gated.follow(() => delivery.resync(), log.logger, 'webhook');
    const commit = async (...users: string[]) => {
      await store.commitPoll({ appId: 'app', roomId: 'r', exists: true, totalUsers: 0, totalInvisibleUsers: 0, lastSuccessMs: 0, changes: [], events: users.map(ev) }, lease.token());
    };
    const run = async (ms: number) => {
      for (let t = 0; t < ms; t += 250) {
        await clock.advance(250);
        await settle();
      }
    };
    return { clock, lease, store, sink, delivery, posted, commit, run, receiver: (s: number) => void (status = s), failCursorReads: (n: number) => void (cursorReadsFailing = n), log };
  };

  test('defect 3: a deposed leader stops sending and retrying its queue, and its late acks cannot move the cursor back', async () => {
    const t = setup();
    await t.delivery.start();
    t.lease.lead();
    await t.commit('u1', 'u2', 'u3');
    await t.run(2000);
    expect(t.posted.length).toBeGreaterThan(0); // failing, retrying
    t.lease.depose();
    await settle();
    const before = t.posted.length;
    t.receiver(200);
    await t.run(60_000);
    expect(t.posted.length).toBe(before); // nothing sent or retried after the lease was lost
    expect((await t.store.getCursor('webhook')) ?? 0).toBe(0); // never acknowledged

    // Another leader (another process) acknowledged up to 3 meanwhile; this one's stale ack is refused.
    t.lease.lead();
    await t.store.setCursor('webhook', 3, t.lease.token());
    t.lease.depose();
    t.delivery.ack(2);
    await settle();
    expect(await t.store.getCursor('webhook')).toBe(3);
    await t.delivery.stop();
    t.sink.close();
  });

  test('defect 3: a leader whose lease ran out while paused sends nothing more, even before anything told it', async () => {
    const t = setup();
    await t.delivery.start();
    t.lease.lead();
    await t.commit('u1', 'u2');
    await t.run(2000); // the first POSTs failed; a retry is waiting
    const before = t.posted.length;
    expect(before).toBeGreaterThan(0);
    t.lease.expired = true; // SIGSTOP past the lease, then SIGCONT: the retry timer fires first
    t.receiver(200);
    await t.run(60_000);
    expect(t.posted.length).toBe(before);
    expect(t.lease.leader).toBe(false);
    await t.delivery.stop();
    t.sink.close();
  });

  test('defect 3: re-elected, it resumes from the shared cursor with an empty queue: each id queued once', async () => {
    const t = setup();
    await t.delivery.start();
    t.lease.lead();
    t.receiver(200);
    await t.commit('u0');
    await t.run(2000);
    expect(await t.store.getCursor('webhook')).toBe(1);
    t.receiver(500);
    await t.commit('u1', 'u2', 'u3');
    await t.run(2000);
    t.lease.depose();
    await settle();
    t.receiver(200);
    t.posted.length = 0;
    t.lease.lead();
    await t.commit('u4');
    await t.run(5000);
    expect(t.posted.flat()).toEqual([2, 3, 4, 5]);
    expect(await t.store.getCursor('webhook')).toBe(5);
    await t.delivery.stop();
    t.sink.close();
  });

  test('defect 4: a failed cursor read at takeover is retried with backoff until it succeeds', async () => {
    const t = setup();
    await t.delivery.start();
    t.receiver(200);
    t.failCursorReads(3);
    t.lease.lead(); // the first reads of the cursor fail (a Redis command timeout)
    await t.commit('u1', 'u2');
    await t.run(120_000);
    expect(t.posted.flat()).toEqual([1, 2]);
    await t.delivery.stop();
    t.sink.close();
  });
});
