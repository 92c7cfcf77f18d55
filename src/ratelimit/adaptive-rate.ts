/**
 * The rate the limiter runs at: the configured cap, halved when the vendor says we are throttled (other
 * clients may share the account's quota), then raised again by about one request per second each second
 * (AIMD, as TCP does). Pure apart from the times it is given.
 *
 * (A slow start, a quarter of the cap doubling each second, was tried against start-up bunching on the
 * wire: it did not change the measured cap fidelity and cost freshness in the first cycle; see
 * BENCHMARKS.md.)
 */
export class AdaptiveRate {
  private rate: number;
  private lastDecrease = Number.NEGATIVE_INFINITY;

  constructor(
    private cap: number,
    private floor: number,
  ) {
    this.rate = cap;
  }

  current(): number {
    return this.rate;
  }

  configuredCap(): number {
    return this.cap;
  }

  /** A config reload changed the cap: never exceed the new one, and recover towards it from here. */
  setLimits(cap: number, floor: number): void {
    // Not backing off: run at the new cap straight away. Backing off: keep recovering from where we are.
    const atCap = this.rate >= this.cap;
    this.cap = cap;
    this.floor = Math.min(floor, cap);
    this.rate = atCap ? cap : Math.min(Math.max(this.rate, this.floor), cap);
  }

  /**
   * A throttled response. Several in flight at once report the same overload, so the rate is cut at most
   * once per second.
   */
  onThrottled(nowMs: number): void {
    if (nowMs - this.lastDecrease < 1000) return;
    this.lastDecrease = nowMs;
    this.rate = Math.max(this.floor, this.rate / 2);
  }

  /** A request that was not throttled: +1/rate per success is about +1 qps per second at full use. */
  onAccepted(nowMs: number): void {
    if (this.rate >= this.cap || nowMs - this.lastDecrease < 1000) return;
    this.rate = Math.min(this.cap, this.rate + 1 / this.rate);
  }
}
