/**
 * The rate the limiter runs at: the configured cap, lowered when the vendor says we are throttled (other
 * clients may share the account's quota), then raised again by about one request per second each second.
 * Pure apart from the times it is given.
 *
 * The decrease is proportionate first, multiplicative only when throttling is sustained:
 *  - A throttling episode starts with the first 429 after a quiet spell. In its first rolling window each
 *    429 lowers the rate by one request per second: every 429 is one request the vendor counted over its
 *    cap, so the cut is the measured excess. A lone 429 (arrival jitter at the vendor's gateway, a GC
 *    pause bunching our sends) then costs about one request, not half the throughput; a quota that other
 *    clients took a share of yields about as many 429s in that window as the share, so the cut converges
 *    on it within the window.
 *  - In the following windows of the episode (it goes on while 429s are less than EPISODE_GAP_MS apart)
 *    each 429 again costs one request per second, until a tenth of the rate's requests (at least two) were
 *    refused in one window: then the proportionate cuts are not keeping up, throttling is sustained and
 *    the rate halves, at most once per window (AIMD, as TCP does), down to the floor. Stray 429s at
 *    random (even 1 % of requests) almost never reach that share of one window; a real overload does.
 *  - Recovery: a full window without any 429 after the last cut undoes an episode's proportionate cuts
 *    at once (the vendor's window has drained; the refusals were strays, or the excess has gone). An
 *    episode that halved recovers additively, by about one request per second each second, as AIMD does.
 *    With the slow ramp for every cut, random 429s at 1 % (a cluster of five in a few seconds is common)
 *    held the rate several requests per second low for seconds at a time: a whole cycle of rooms late.
 * (Measured against the previous halve-on-first-429 rule in BENCHMARKS.md, throttling section.)
 *
 * (A slow start, a quarter of the cap doubling each second, was tried against start-up bunching on the
 * wire: it did not change the measured cap fidelity and cost freshness in the first cycle; see
 * BENCHMARKS.md.)
 */
export const THROTTLE_WINDOW_MS = 1000;
/** No 429 for this long ends an episode: the next one is again treated as a lone one. */
export const EPISODE_GAP_MS = 2 * THROTTLE_WINDOW_MS;
/** Share of a window's requests that must be refused (after the episode's first window) to halve. */
export const SUSTAINED_SHARE = 0.1;
/** After any decrease, hold the rate this long before recovering (the vendor's window must drain first). */
const HOLD_MS = THROTTLE_WINDOW_MS;

export class AdaptiveRate {
  private rate: number;
  private lastDecrease = Number.NEGATIVE_INFINITY;
  private lastThrottle = Number.NEGATIVE_INFINITY;
  private episodeStart = Number.NEGATIVE_INFINITY;
  /** Index (since the episode start) of the window the last 429 fell in, the 429s seen in it, and whether it halved. */
  private window = 0;
  private inWindow = 0;
  private halved = false;
  /** The rate before the episode's first cut, and whether the episode has halved (no quick restore then). */
  private episodeBase: number;
  private episodeHalved = false;

  constructor(
    private cap: number,
    private floor: number,
  ) {
    this.rate = cap;
    this.episodeBase = cap;
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

  /** A throttled response arrived at `nowMs`. */
  onThrottled(nowMs: number): void {
    const fresh = nowMs - this.lastThrottle >= EPISODE_GAP_MS;
    if (fresh) {
      this.episodeStart = nowMs;
      this.episodeBase = this.rate;
      this.episodeHalved = false;
    }
    this.lastThrottle = nowMs;
    const window = Math.max(0, Math.floor((nowMs - this.episodeStart) / THROTTLE_WINDOW_MS));
    if (fresh || window !== this.window) {
      this.window = window;
      this.inWindow = 0;
      this.halved = false;
    }
    this.inWindow++;
    // Once halved, the window's later 429s report the same overload (requests already in flight).
    if (this.halved) return;
    if (window > 0 && this.inWindow >= Math.max(2, Math.ceil(SUSTAINED_SHARE * this.rate))) {
      this.halved = true;
      this.episodeHalved = true;
      this.decreaseTo(this.rate / 2, nowMs);
    } else {
      this.decreaseTo(this.rate - 1, nowMs);
    }
  }

  /** A request that was not throttled: +1/rate per success is about +1 qps per second at full use. */
  onAccepted(nowMs: number): void {
    if (this.rate >= this.cap || nowMs - this.lastDecrease < HOLD_MS) return;
    if (!this.episodeHalved && this.rate < this.episodeBase && nowMs - this.lastThrottle >= THROTTLE_WINDOW_MS) {
      this.rate = Math.min(this.cap, this.episodeBase);
      return;
    }
    this.rate = Math.min(this.cap, this.rate + 1 / this.rate);
  }

  private decreaseTo(rate: number, nowMs: number): void {
    this.lastDecrease = nowMs;
    this.rate = Math.min(this.cap, Math.max(this.floor, rate));
  }
}
