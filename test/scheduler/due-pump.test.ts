import { SlidingWindowLimiter } from '../../src/ratelimit/limiter';
import { DuePump, PumpRoom } from '../../src/scheduler/due-pump';
import { accountBounds } from '../../src/scheduler/pump-wiring';
import { FakeClock } from '../fakes/fake-clock';
import { memoryLogger } from '../fakes/recorders';

interface Poll {
  roomId: string;
  atMs: number;
}

/**
 * A pump over `rooms` of one account at `qps`, period `periodSeconds`. `changes(roomId, elapsedMs)` says
 * what a poll of the room finds; each poll takes `pollMs`.
 */
function setup(opts: { rooms: string[]; qps: number; periodSeconds: number; pollMs?: number; changes?: (roomId: string, sinceMs: number) => number; maxIntervalSeconds?: number }) {
  const clock = new FakeClock(0);
  let rooms: PumpRoom[] = opts.rooms.map((roomId) => ({ appId: 'app', roomId, account: 'main' }));
  let version = 1;
  const polls: Poll[] = [];
  const lastPoll = new Map<string, number>();
  let active = 0;
  let maxActivePerRoom = 0;
  const activeRooms = new Map<string, number>();
  const sweeps: number[] = [];
  let late = 0;
  let leader = true;
  const limiter = new SlidingWindowLimiter(clock, { current: () => opts.qps }, opts.qps);
  const pump = new DuePump({
    rooms: () => rooms,
    roomsVersion: () => version,
    sync: () => Promise.resolve(),
    account: (name) =>
      name !== 'main'
        ? undefined
        : {
            limiter,
            poll: async (room) => {
              const at = clock.now();
              polls.push({ roomId: room.roomId, atMs: at });
              active++;
              const n = (activeRooms.get(room.roomId) ?? 0) + 1;
              activeRooms.set(room.roomId, n);
              maxActivePerRoom = Math.max(maxActivePerRoom, n);
              await clock.sleep(opts.pollMs ?? 50);
              activeRooms.set(room.roomId, n - 1);
              active--;
              const since = lastPoll.get(room.roomId);
              lastPoll.set(room.roomId, at);
              return since === undefined ? 0 : (opts.changes?.(room.roomId, at - since) ?? 0);
            },
          },
    bounds: (_account, n) => accountBounds({ strategy: 'adaptive', maxIntervalSeconds: opts.maxIntervalSeconds }, opts.periodSeconds, opts.qps, n),
    observer: { sweepDone: (s) => sweeps.push(s), late: () => late++ },
    clock,
    logger: memoryLogger().logger,
    gate: () => leader,
  });
  return {
    clock,
    pump,
    polls,
    sweeps,
    late: () => late,
    maxActivePerRoom: () => maxActivePerRoom,
    active: () => active,
    setRooms(ids: string[]) {
      rooms = ids.map((roomId) => ({ appId: 'app', roomId, account: 'main' }));
      version++;
    },
    setLeader(v: boolean) {
      leader = v;
    },
    /** As the daemon shuts down: the limiter closes first (rejecting waiters), then the pump stops. */
    async stop() {
      limiter.close();
      const stopped = pump.stop();
      await clock.advance(10_000);
      await stopped;
    },
  };
}

const countOf = (polls: Poll[], roomId: string, fromMs = 0): number => polls.filter((p) => p.roomId === roomId && p.atMs >= fromMs).length;

function maxGapMs(polls: Poll[], roomId: string): number {
  const times = polls.filter((p) => p.roomId === roomId).map((p) => p.atMs);
  let max = 0;
  for (let i = 1; i < times.length; i++) max = Math.max(max, times[i]! - times[i - 1]!);
  return max;
}

describe('DuePump', () => {
  it('polls every room once per period when the budget is not saturated (R/q <= period), as the cycles do', async () => {
    const t = setup({ rooms: ['a', 'b', 'c'], qps: 10, periodSeconds: 15 });
    t.pump.start();
    await t.clock.advance(60_000);
    await t.stop();
    expect(t.polls.slice(0, 3).map((p) => p.roomId)).toEqual(['a', 'b', 'c']);
    for (const r of ['a', 'b', 'c']) {
      // Baseline at ~0, then every 15 s: 0, 15, 30, 45, 60.
      expect(countOf(t.polls, r)).toBeGreaterThanOrEqual(4);
      expect(countOf(t.polls, r)).toBeLessThanOrEqual(5);
      expect(maxGapMs(t.polls, r)).toBeLessThanOrEqual(15_000 + 100);
    }
    expect(t.sweeps.length).toBeGreaterThanOrEqual(3);
  });

  it('polls busy rooms more often than idle ones, never beyond qps, every room within its bound', async () => {
    const rooms = Array.from({ length: 20 }, (_, i) => `r${i}`);
    // r0 and r1 change about once every 5 s; the rest never.
    const t = setup({ rooms, qps: 1, periodSeconds: 5, changes: (id, sinceMs) => (Number(id.slice(1)) < 2 ? Math.round(sinceMs / 5000) : 0) });
    t.pump.start();
    await t.clock.advance(1500_000);
    await t.stop();
    const settled = 1000_000;
    const busy = countOf(t.polls, 'r0', settled);
    const idle = countOf(t.polls, 'r10', settled);
    expect(busy).toBeGreaterThan(3 * idle);
    // Never more than qps in any rolling second (the limiter), and the total close to the budget.
    const times = t.polls.map((p) => p.atMs);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(999);
    // The busy rooms stop at the 5 s period (0.4 qps); the idle ones share the rest of the budget, 18 rooms
    // in 0.6 qps: every 30 s (inside their 3 × 20 / 1 = 60 s bound).
    expect(busy).toBeGreaterThanOrEqual(85); // every 5 s, plus the wait for its turn at the limiter
    expect(idle).toBeGreaterThanOrEqual(14);
    expect(idle).toBeLessThanOrEqual(18);
    const bound = 3 * (20 / 1);
    for (const r of rooms) expect(maxGapMs(t.polls, r)).toBeLessThanOrEqual(bound * 1000 + 2000);
    expect(t.maxActivePerRoom()).toBe(1);
  });

  it('uses the whole budget when the rooms at the period are first in due order (work-conserving)', async () => {
    // 40 busy rooms change at every poll and settle at the 15 s period (2.67 of 4 requests a second); the
    // 60 quiet ones share the rest. The busy rooms come first in the room list, so their polls stay
    // bunched. Whenever no room is due, a quiet room goes early; the busy rooms, held by their period, must
    // not stand in its way, or permits go unused. (The limiter's guard makes 4 qps 3.96 starts a second.)
    const rooms = Array.from({ length: 100 }, (_, i) => `r${i}`);
    const t = setup({ rooms, qps: 4, periodSeconds: 15, changes: (id, sinceMs) => (Number(id.slice(1)) < 40 ? Math.max(1, Math.round(sinceMs / 500)) : 0) });
    t.pump.start();
    await t.clock.advance(900_000);
    const from = t.clock.now();
    await t.clock.advance(600_000);
    await t.stop();
    const polls = t.polls.filter((p) => p.atMs >= from && p.atMs < from + 600_000);
    expect(polls.length).toBeGreaterThanOrEqual(0.98 * 4 * 600);
    // The busy rooms still get the period, and no room is polled within it.
    expect(countOf(polls, 'r0')).toBeGreaterThanOrEqual(38);
    for (const r of rooms) {
      const times = polls.filter((p) => p.roomId === r).map((p) => p.atMs);
      for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(15_000);
    }
  });

  it('never polls a room twice at once, even when polls take longer than the period', async () => {
    const t = setup({ rooms: ['a', 'b'], qps: 10, periodSeconds: 1, pollMs: 4000 });
    t.pump.start();
    await t.clock.advance(30_000);
    await t.stop();
    expect(t.maxActivePerRoom()).toBe(1);
    expect(countOf(t.polls, 'a')).toBeGreaterThanOrEqual(6);
  });

  it('does not poll a room twice at once when it leaves and comes back while its poll runs', async () => {
    const t = setup({ rooms: ['a'], qps: 10, periodSeconds: 1, pollMs: 4000 });
    t.pump.start();
    await t.clock.advance(100); // a's first poll is running
    t.setRooms([]);
    await t.clock.advance(1500);
    t.setRooms(['a']);
    await t.clock.advance(30_000);
    await t.stop();
    expect(t.maxActivePerRoom()).toBe(1);
    expect(countOf(t.polls, 'a')).toBeGreaterThanOrEqual(5);
  });

  it('polls a room that arrives ahead of the rooms already due, within a second', async () => {
    const rooms = Array.from({ length: 30 }, (_, i) => `r${i}`);
    const t = setup({ rooms, qps: 1, periodSeconds: 5 });
    t.pump.start();
    await t.clock.advance(100_000);
    t.setRooms([...rooms, 'new']);
    const at = t.clock.now();
    await t.clock.advance(3000);
    const first = t.polls.find((p) => p.roomId === 'new');
    expect(first).toBeDefined();
    expect(first!.atMs - at).toBeLessThanOrEqual(2000);
    // A room that left is polled no more.
    t.setRooms(rooms.slice(1));
    await t.clock.advance(2000);
    const gone = countOf(t.polls, 'r0');
    await t.clock.advance(100_000);
    await t.stop();
    expect(countOf(t.polls, 'r0')).toBe(gone);
  });

  it('polls a room marked due next (the hook for changes reported from outside the polls)', async () => {
    const rooms = Array.from({ length: 30 }, (_, i) => `r${i}`);
    const t = setup({ rooms, qps: 1, periodSeconds: 5 });
    t.pump.start();
    await t.clock.advance(40_000);
    t.pump.markDue('app', 'r29');
    const at = t.clock.now();
    await t.clock.advance(2500);
    await t.stop();
    expect(t.polls.filter((p) => p.atMs >= at)[0]?.roomId).toBe('r29');
  });

  it('polls nothing while the gate is shut (a standby), and everything at once when it opens and runNow is called', async () => {
    const t = setup({ rooms: ['a', 'b'], qps: 10, periodSeconds: 60 });
    t.setLeader(false);
    t.pump.start();
    await t.clock.advance(30_000);
    expect(t.polls).toEqual([]);
    t.setLeader(true);
    t.pump.runNow();
    await t.clock.advance(1500);
    expect(t.polls.map((p) => p.roomId).sort()).toEqual(['a', 'b']);
    await t.stop();
  });

  it('reports the interval and change rate of a room, and none for an unknown room', async () => {
    const t = setup({ rooms: ['a'], qps: 1, periodSeconds: 15 });
    t.pump.start();
    await t.clock.advance(100);
    expect(t.pump.roomPlan('app', 'a')).toEqual({ intervalSeconds: 15, changesPerSecond: 0 });
    expect(t.pump.roomPlan('app', 'nope')).toBeUndefined();
    await t.stop();
  });
});
