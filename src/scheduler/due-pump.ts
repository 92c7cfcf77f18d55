import { Clock, isAbortError } from '../clock';
import type { Logger } from '../logger';
import type { Permit, RateLimiter } from '../ratelimit/limiter';
import { AdaptivePlan } from './adaptive-plan';
import { PollQueue } from './poll-queue';
import type { IntervalBounds } from './interval-rule';
import { SweepTracker } from './sweep-tracker';

/** Longest nap of a lane: a room added by discovery or a reload waits at most this for its first poll. */
export const MAX_NAP_MS = 1000;

export interface PumpRoom {
  appId: string;
  roomId: string;
  account: string;
}

/** What the pump needs of one account: its limiter, a way to poll, and its budget. */
export interface PumpAccount {
  limiter: RateLimiter;
  /**
   * Poll the room with the permit already granted (its start is confirmed when the request leaves).
   * Resolves with the changes the poll found, or undefined if it failed. Must not reject.
   */
  poll(room: PumpRoom, permit: Permit): Promise<number | undefined>;
}

export interface PumpObserver {
  /** Every room active at a sweep's start has been polled since (see SweepTracker). */
  sweepDone(seconds: number): void;
  /** A room was polled later than its bound (polling.maxIntervalSeconds) after its previous poll. */
  late(): void;
}

export interface DuePumpDeps {
  /** The rooms to poll now (registry.active()). */
  rooms(): readonly PumpRoom[];
  /** Changes whenever the room set does (registry.version()). */
  roomsVersion(): number;
  /** Bring the store to the room set and read the committed baselines of new rooms. Must not reject. */
  sync(): Promise<void>;
  account(name: string): PumpAccount | undefined;
  /**
   * The interval bounds and budget of an account with `rooms` rooms, and the bound a poll counts as late
   * after (polling.maxIntervalSeconds; the rule aims a little inside it, see pump-wiring.ts).
   */
  bounds(account: string, rooms: number): IntervalBounds & { lateAfterSeconds: number };
  observer: PumpObserver;
  /** Monotonic. */
  clock: Clock;
  logger: Logger;
  /** Polls start only while this says yes (leadership). */
  gate(): boolean;
}

interface Lane {
  queue: PollQueue<string>;
  plan: AdaptivePlan<string>;
  loop: Promise<void>;
}

const keyOf = (r: { appId: string; roomId: string }): string => `${r.appId}\u0000${r.roomId}`;

/**
 * The adaptive strategy's loop: one lane per account, each feeding its account's limiter from a queue of
 * rooms ordered by due time. The scheduler decides when (the plan gives each room its next interval), the
 * limiter how fast: a lane waits for the earliest due room, asks the limiter for a permit, and when it is
 * granted takes whatever room is first now (a new room may have arrived meanwhile). A room is out of the
 * queue while its poll runs, so no room is ever polled twice at once; the loops never reject.
 */
export class DuePump {
  private readonly lanes = new Map<string, Lane>();
  private readonly where = new Map<string, { account: string; room: PumpRoom }>();
  private readonly inFlight = new Set<Promise<void>>();
  /** Rooms whose poll is running; one that leaves and comes back meanwhile is queued when it ends. */
  private readonly polling = new Set<string>();
  /** When each room's last poll started (monotonic ms): a room is never polled again within the period. */
  private readonly lastStart = new Map<string, number>();
  private readonly sweep: SweepTracker<string>;
  private syncedVersion = -1;
  private syncedAtMs = -Infinity;
  private syncing?: Promise<void>;
  private napper = new AbortController();
  private stopped = false;

  constructor(private readonly deps: DuePumpDeps) {
    this.sweep = new SweepTracker(deps.clock.now());
  }

  start(): void {
    void this.syncRooms(true);
  }

  /** Every room due now (a new leader polls at once, as the cycle strategy does). */
  runNow(): void {
    const now = this.deps.clock.now();
    for (const [account, lane] of this.lanes) {
      const periodMs = this.periodMs(account, lane);
      for (const key of [...lane.queue.keys()]) lane.queue.set(key, Math.min(now, lane.queue.dueOf(key) ?? now), false, this.notBefore(key, periodMs));
    }
    this.wake();
  }

  /**
   * Poll this room next, ahead of every merely due room: the hook for a change reported from outside the
   * polls (a vendor callback). A room in flight is left alone; its next due time comes from its poll.
   */
  markDue(appId: string, roomId: string): void {
    const key = keyOf({ appId, roomId });
    const at = this.where.get(key);
    const lane = at && this.lanes.get(at.account);
    if (lane?.queue.has(key)) lane.queue.set(key, this.deps.clock.now(), true);
    this.wake();
  }

  /** The room's current target interval in seconds, and its estimated changes per second. */
  roomPlan(appId: string, roomId: string): { intervalSeconds: number; changesPerSecond: number } | undefined {
    const key = keyOf({ appId, roomId });
    const at = this.where.get(key);
    const lane = at && this.lanes.get(at.account);
    const rate = lane?.plan.rateOf(key);
    if (!lane || rate === undefined) return undefined;
    return { intervalSeconds: lane.plan.intervalOf(key, this.deps.clock.now(), this.deps.bounds(at.account, lane.plan.size)), changesPerSecond: rate };
  }

  /** Stop starting polls; resolves when the lanes and the polls in flight have ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await Promise.allSettled([...this.lanes.values()].map((l) => l.loop));
    await Promise.allSettled([...this.inFlight]);
  }

  /** Follow the room set: new rooms go first (urgent), rooms that left are dropped. */
  private syncRooms(force = false): Promise<void> {
    const now = this.deps.clock.now();
    if (!force && this.deps.roomsVersion() === this.syncedVersion && now - this.syncedAtMs < MAX_NAP_MS) return Promise.resolve();
    this.syncing ??= this.doSync().finally(() => (this.syncing = undefined));
    return this.syncing;
  }

  private async doSync(): Promise<void> {
    // sync() also expires retired rooms, which bumps the version: read it after.
    await this.deps.sync();
    this.syncedVersion = this.deps.roomsVersion();
    this.syncedAtMs = this.deps.clock.now();
    const now = this.deps.clock.now();
    const seen = new Set<string>();
    for (const room of this.deps.rooms()) {
      const key = keyOf(room);
      seen.add(key);
      const at = this.where.get(key);
      if (at?.account === room.account) continue;
      if (at) {
        // The room moved to another account (a reload): it leaves the old lane with its history.
        this.laneOf(at.account).queue.delete(key);
        this.laneOf(at.account).plan.delete(key);
      }
      this.where.set(key, { account: room.account, room });
      const lane = this.laneOf(room.account);
      lane.plan.add(key);
      if (!this.polling.has(key)) lane.queue.set(key, now, true);
    }
    for (const [key, at] of this.where) {
      if (seen.has(key)) continue;
      this.where.delete(key);
      this.lastStart.delete(key);
      const lane = this.lanes.get(at.account);
      lane?.queue.delete(key);
      lane?.plan.delete(key);
    }
    this.sweep.roomsNow(seen, now, (s) => this.deps.observer.sweepDone(s));
    this.wake();
  }

  private laneOf(account: string): Lane {
    let lane = this.lanes.get(account);
    if (!lane) {
      lane = { queue: new PollQueue<string>(), plan: new AdaptivePlan<string>(), loop: Promise.resolve() };
      this.lanes.set(account, lane);
      lane.loop = this.run(account, lane);
    }
    return lane;
  }

  private async run(account: string, lane: Lane): Promise<void> {
    while (!this.stopped) {
      try {
        await this.step(account, lane);
      } catch (err) {
        // step() is written not to throw; should it anyway, the lane naps and carries on.
        this.deps.logger.error({ err, account }, 'poll lane failed unexpectedly');
        await this.nap(MAX_NAP_MS);
      }
    }
  }

  private async step(account: string, lane: Lane): Promise<void> {
    await this.syncRooms();
    const target = this.deps.account(account);
    const now = this.deps.clock.now();
    if (!this.deps.gate() || !target || lane.queue.size === 0) return this.nap(MAX_NAP_MS);
    const ready = lane.queue.next(now, false);
    if (ready.key === undefined) return this.nap(ready.atMs - now);
    let permit: Permit;
    try {
      permit = await target.limiter.permit();
    } catch (err) {
      // A closed limiter (shutdown, or the account left on reload): wait for stop() or the next sync.
      if (!isAbortError(err)) this.deps.logger.error({ err, account }, 'rate limiter failed');
      return this.nap(MAX_NAP_MS);
    }
    if (this.stopped) return;
    // The permit is granted: take the first room that may go now (a new room may have arrived meanwhile).
    const key = lane.queue.next(this.deps.clock.now(), true).key;
    const at = key === undefined ? undefined : this.where.get(key);
    if (key === undefined || !at) return; // the room left while the permit was on its way: the permit is spent
    const p = this.pollOne(target, lane, key, at.room, permit);
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private async pollOne(target: PumpAccount, lane: Lane, key: string, room: PumpRoom, permit: Permit): Promise<void> {
    const startMs = this.deps.clock.now();
    this.lastStart.set(key, startMs);
    this.polling.add(key);
    const bounds = this.deps.bounds(room.account, lane.plan.size);
    let changes: number | undefined;
    try {
      changes = await target.poll(room, permit);
    } catch (err) {
      this.deps.logger.error({ err, appId: room.appId, roomId: room.roomId }, 'poll failed unexpectedly');
    }
    this.polling.delete(key);
    if (this.sweep.polled(key, startMs, bounds.lateAfterSeconds)) this.deps.observer.late();
    this.sweep.check(this.deps.clock.now(), (s) => this.deps.observer.sweepDone(s));
    // The room may have left, or moved to another account, while its poll ran (the sync did not queue it then).
    const at = this.where.get(key);
    if (!at) return;
    if (at.account !== room.account) {
      this.lanes.get(at.account)?.queue.set(key, this.deps.clock.now(), true);
      this.wake();
      return;
    }
    const interval = changes === undefined ? lane.plan.intervalOf(key, startMs, bounds) : lane.plan.polled(key, changes, startMs, bounds);
    lane.queue.set(key, startMs + interval * 1000, false, startMs + bounds.minSeconds * 1000);
    this.wake();
  }

  private periodMs(account: string, lane: Lane): number {
    return this.deps.bounds(account, lane.plan.size).minSeconds * 1000;
  }

  /** A room is never polled again within the period of its last poll's start. */
  private notBefore(key: string, periodMs: number): number {
    const last = this.lastStart.get(key);
    return last === undefined ? -Infinity : last + periodMs;
  }

  /** Sleep up to `ms`; wake() ends it early (a room became due, a room arrived, stop). */
  private async nap(ms: number): Promise<void> {
    if (this.stopped) return;
    ms = Math.min(ms, MAX_NAP_MS);
    try {
      await this.deps.clock.sleep(ms, this.napper.signal);
    } catch {
      // woken
    }
  }

  private wake(): void {
    this.napper.abort();
    this.napper = new AbortController();
  }
}
