/**
 * The rate the limiter runs at. It starts at a quarter of the cap and doubles each second until it reaches
 * the cap (slow start: the first requests of a process leave late and unevenly while sockets open and code
 * warms up, which bunched them on the wire; measured in bench/ cap fidelity). It is halved when the vendor
 * says we are throttled (other clients may share the account's quota), then raised again by about one
 * request per second each second (AIMD, as TCP does). Pure apart from the times it is given.
 */
export class AdaptiveRate {
  private rate: number;
  private lastDecrease = Number.NEGATIVE_INFINITY;
  private ramping: boolean;
  private rampStep?: number;

  constructor(
    private cap: number,
    private floor: number,
    opts: { slowStart?: boolean } = {},
  ) {
    this.ramping = opts.slowStart ?? true;
    this.rate = this.ramping ? Math.min(cap, Math.max(floor, cap / 4)) : cap;
    if (this.rate >= cap) this.ramping = false;
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
    if (this.rate >= cap) this.ramping = false;
  }

  /**
   * A throttled response. Several in flight at once report the same overload, so the rate is cut at most
   * once per second.
   */
  onThrottled(nowMs: number): void {
    this.ramping = false;
    if (nowMs - this.lastDecrease < 1000) return;
    this.lastDecrease = nowMs;
    this.rate = Math.max(this.floor, this.rate / 2);
  }

  /**
   * A request that was not throttled. While starting: double once a second. After a back-off: +1/rate per
   * success is about +1 qps per second at full use.
   */
  onAccepted(nowMs: number): void {
    if (this.ramping) {
      this.rampStep ??= nowMs;
      if (nowMs - this.rampStep >= 1000) {
        this.rampStep = nowMs;
        this.rate = Math.min(this.cap, this.rate * 2);
        if (this.rate >= this.cap) this.ramping = false;
      }
      return;
    }
    if (this.rate >= this.cap || nowMs - this.lastDecrease < 1000) return;
    this.rate = Math.min(this.cap, this.rate + 1 / this.rate);
  }
}
