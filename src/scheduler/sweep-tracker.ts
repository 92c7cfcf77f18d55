/**
 * What the cycle metrics mean when rooms are not all due at once (the adaptive strategy). A *sweep*
 * starts when the previous one ends and ends when every room active at its start has been polled (a
 * success or a failure) at least once since, or has left; rooms that arrive meanwhile count from the next
 * sweep. A sweep is then as long as the slowest room's interval, and rtc_poll_cycles_total,
 * rtc_poll_cycle_duration_seconds and rtc_poll_cycle_last_completed_timestamp_seconds describe sweeps.
 * The tracker also tells whether a poll came later than the bound after the room's previous one.
 * Pure: times are passed in.
 */
export class SweepTracker<K> {
  private readonly pending = new Set<K>();
  private known = new Set<K>();
  private readonly lastPollMs = new Map<K, number>();
  private startMs: number;
  private active = false;
  private emptyReported = false;

  constructor(nowMs: number) {
    this.startMs = nowMs;
  }

  /** The room set now; rooms that left no longer hold the sweep up. */
  roomsNow(keys: ReadonlySet<K>, nowMs: number, done: (seconds: number) => void): void {
    this.known = new Set(keys);
    for (const k of this.pending) if (!keys.has(k)) this.pending.delete(k);
    for (const k of this.lastPollMs.keys()) if (!keys.has(k)) this.lastPollMs.delete(k);
    if (keys.size > 0) this.emptyReported = false;
    if (!this.active && keys.size > 0) this.begin(nowMs);
    else if (!this.active && !this.emptyReported) {
      // No rooms (discovery has found none yet): one empty sweep, so readiness does not wait for a room.
      this.emptyReported = true;
      done(0);
    } else this.check(nowMs, done);
  }

  /** A poll of `key` started at `startMs` ended; true if it came more than `maxSeconds` after the previous one. */
  polled(key: K, startMs: number, maxSeconds: number): boolean {
    this.pending.delete(key);
    const prev = this.lastPollMs.get(key);
    if (this.known.has(key)) this.lastPollMs.set(key, startMs);
    return prev !== undefined && startMs - prev > maxSeconds * 1000;
  }

  /** End the sweep if nothing is pending (reporting its duration), and start the next. */
  check(nowMs: number, done: (seconds: number) => void): void {
    if (!this.active || this.pending.size > 0) return;
    done(Math.max(0, nowMs - this.startMs) / 1000);
    this.active = false;
    if (this.known.size > 0) this.begin(nowMs);
  }

  private begin(nowMs: number): void {
    this.active = true;
    this.startMs = nowMs;
    for (const k of this.known) this.pending.add(k);
  }
}
