/**
 * Request counting over a rolling window (the vendor caps QPS per rolling second, not per calendar
 * second, so a client that bursts at a second boundary still gets throttled).
 *
 * A window ending at time t holds the times in (t - windowMs, t]. Times are expected non-decreasing;
 * an earlier time is treated as equal to the latest one seen.
 */
export class RollingWindow {
  private times: number[] = [];
  private head = 0;
  private latest = -Infinity;

  constructor(readonly windowMs = 1000) {}

  /** How many recorded times fall in the window ending at `now`. */
  countAt(now: number): number {
    this.evict(Math.max(now, this.latest));
    return this.times.length - this.head;
  }

  /** Records a time; returns the count in the window ending at it, itself included. */
  record(now: number): number {
    const t = Math.max(now, this.latest);
    this.latest = t;
    this.evict(t);
    this.times.push(t);
    return this.times.length - this.head;
  }

  private evict(now: number): void {
    const cutoff = now - this.windowMs;
    while (this.head < this.times.length && (this.times[this.head] as number) <= cutoff) this.head++;
    // Compact now and then so the array does not grow with every request ever seen.
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
  }
}

/**
 * The simulator's cap: at most `capQps` accepted requests in any rolling second. Only accepted requests
 * enter the window; a throttled request does not extend the throttling (a client that keeps knocking
 * at the cap gets through again as soon as old accepted requests age out).
 */
export class FlowCap {
  private readonly accepted: RollingWindow;

  constructor(
    readonly capQps: number,
    windowMs = 1000,
  ) {
    this.accepted = new RollingWindow(windowMs);
  }

  /** true and counted when the request fits under the cap; false when it must get 429. */
  tryAccept(now: number): boolean {
    if (this.accepted.countAt(now) >= this.capQps) return false;
    this.accepted.record(now);
    return true;
  }
}

/** The busiest rolling window of arrivals seen so far; exact because the maximum always ends at an arrival. */
export class PeakWindow {
  private readonly arrivals: RollingWindow;
  private peak = 0;

  constructor(windowMs = 1000) {
    this.arrivals = new RollingWindow(windowMs);
  }

  record(now: number): void {
    this.peak = Math.max(this.peak, this.arrivals.record(now));
  }

  get max(): number {
    return this.peak;
  }
}
