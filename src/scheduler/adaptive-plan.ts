import { ChangeRate, estimateOf, meanRateOf, NO_HISTORY, observe, PRIOR_CHANGES, priorChangesOf } from './change-rate';
import { IntervalBounds, intervalFor, solveScale } from './interval-rule';

/** How often the common scale is solved again (it moves slowly: one room's poll barely shifts it). */
export const REBALANCE_MS = 1000;

interface PlanRoom {
  rate: ChangeRate;
  /** When the last successful poll started; undefined until the baseline poll. */
  lastPollMs?: number;
}

/**
 * The adaptive policy of one account's rooms: each room's change-rate history and, from all of them, its
 * next interval under the account's budget. Pure apart from the time it is told; no clock, no I/O.
 */
export class AdaptivePlan<K> {
  private readonly rooms = new Map<K, PlanRoom>();
  private scale = 0;
  private meanRate = 0;
  /** The prior's weight, estimated from every room's history with the mean (change-rate.ts). */
  private priorChanges = PRIOR_CHANGES;
  private solvedAtMs = -Infinity;
  private solvedFor: IntervalBounds | undefined;
  private solvedRooms = -1;

  constructor(private readonly uniform = false) {}

  add(key: K): void {
    if (!this.rooms.has(key)) this.rooms.set(key, { rate: NO_HISTORY });
  }

  delete(key: K): void {
    this.rooms.delete(key);
  }

  has(key: K): boolean {
    return this.rooms.has(key);
  }

  get size(): number {
    return this.rooms.size;
  }

  /**
   * A poll of `key` that started at `startMs` succeeded and found `changes` changes. The first success is
   * the baseline: it starts the room's clock but says nothing about its rate (its changes, if it had
   * committed state, span an unknown time). Returns the room's next interval in seconds.
   */
  polled(key: K, changes: number, startMs: number, bounds: IntervalBounds): number {
    const room = this.rooms.get(key);
    if (!room) return bounds.minSeconds;
    if (room.lastPollMs !== undefined) room.rate = observe(room.rate, changes, (startMs - room.lastPollMs) / 1000, this.meanRate, this.priorChanges);
    room.lastPollMs = startMs;
    return this.intervalOf(key, startMs, bounds);
  }

  /** The room's current target interval in seconds. */
  intervalOf(key: K, nowMs: number, bounds: IntervalBounds): number {
    this.rebalance(nowMs, bounds);
    const room = this.rooms.get(key);
    if (!room) return bounds.minSeconds;
    return intervalFor(this.uniform ? 1 : estimateOf(room.rate, this.meanRate, this.priorChanges), this.scale, bounds);
  }

  /** The room's estimated changes per second (undefined for an unknown room). */
  rateOf(key: K): number | undefined {
    const room = this.rooms.get(key);
    return room && estimateOf(room.rate, this.meanRate, this.priorChanges);
  }

  /** Solve the common scale again when it is stale, the bounds changed or rooms came or went. */
  private rebalance(nowMs: number, bounds: IntervalBounds): void {
    const same = this.solvedFor && this.solvedFor.minSeconds === bounds.minSeconds && this.solvedFor.maxSeconds === bounds.maxSeconds && this.solvedFor.qps === bounds.qps;
    if (same && this.solvedRooms === this.rooms.size && nowMs - this.solvedAtMs < REBALANCE_MS) return;
    const histories = [...this.rooms.values()].map((r) => r.rate);
    this.meanRate = meanRateOf(histories);
    this.priorChanges = priorChangesOf(histories, this.meanRate);
    const rates = histories.map((r) => (this.uniform ? 1 : estimateOf(r, this.meanRate, this.priorChanges)));
    this.scale = solveScale(rates, bounds);
    this.solvedAtMs = nowMs;
    this.solvedFor = { ...bounds };
    this.solvedRooms = this.rooms.size;
  }
}
