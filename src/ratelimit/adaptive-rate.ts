/**
 * The rate the limiter runs at: the configured cap, lowered when the vendor says we are throttled (other
 * clients may share the account's quota), then raised again.
 * Pure apart from the times it is given.
 *
 * The decrease needs evidence, is proportionate first, and multiplicative only when throttling is sustained:
 *  - A throttling episode starts with the first 429 after a quiet spell (EPISODE_GAP_MS). Windows of
 *    THROTTLE_WINDOW_MS are counted from its start.
 *  - A lone 429 cuts nothing: arrival jitter at the vendor's gateway, a GC pause bunching our sends, or
 *    random refusals; its retry (sent ahead of the queue) is all it costs. Random 429s at 1 % of requests
 *    are one in a window now and then, and cutting for each held whole cycles of rooms back.
 *  - CONFIRMING_429S in one window show an excess: the rate drops by all of them, and by one more for each
 *    further 429 of the window. Every 429 is a request the vendor counted over its cap, so the cut is the
 *    measured excess; a quota that other clients took a share of yields about as many 429s in a window
 *    as the share, so the cut converges on it within the window.
 *  - A 429 in each of STRAY_WINDOWS windows in a row is a small sustained excess that never shows
 *    several at once: one request per second less for each such window.
 *  - After the episode's first window, a tenth of the rate's requests (and more than that evidence) refused in one window
 *    means the proportionate cuts are not keeping up: the rate halves, at most once per window (AIMD, as
 *    TCP does), down to the floor.
 *  - Recovery: after a window without a decrease, by about one request per second each second (AIMD).
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
/**
 * 429s in one window that show an excess rather than strays. Two is not enough: random refusals at 1 % of
 * 35 requests a second put two in the same window about once in twenty windows, three once in two hundred.
 */
export const CONFIRMING_429S = 3;
/** Windows in a row with one 429 each before that is taken as an excess rather than strays. */
export const STRAY_WINDOWS = 3;
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
  /** 429s of the current window already taken off the rate. */
  private counted = 0;
  /** Consecutive windows of the episode with a 429, up to the current one. */
  private streak = 0;

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

  /** A throttled response arrived at `nowMs`. */
  onThrottled(nowMs: number): void {
    const fresh = nowMs - this.lastThrottle >= EPISODE_GAP_MS;
    if (fresh) this.episodeStart = nowMs;
    this.lastThrottle = nowMs;
    const window = Math.max(0, Math.floor((nowMs - this.episodeStart) / THROTTLE_WINDOW_MS));
    if (fresh || window !== this.window) {
      this.streak = !fresh && window === this.window + 1 ? this.streak + 1 : 1;
      this.window = window;
      this.inWindow = 0;
      this.counted = 0;
      this.halved = false;
    }
    this.inWindow++;
    // Once halved, the window's later 429s report the same overload (requests already in flight).
    if (this.halved) return;
    // Halving needs more than the evidence, so a low rate gets its proportionate cut first.
    if (window > 0 && this.inWindow > CONFIRMING_429S && this.inWindow >= Math.ceil(SUSTAINED_SHARE * this.rate)) {
      this.halved = true;
      this.decreaseTo(this.rate / 2, nowMs);
    } else if (this.inWindow >= CONFIRMING_429S || this.streak >= STRAY_WINDOWS) {
      // Enough 429s to be an excess, not strays (or one a window, window after window: a small excess
      // that never shows several at once). Each of the window's 429s not yet cut for is a request of excess.
      this.decreaseTo(this.rate - (this.inWindow - this.counted), nowMs);
      this.counted = this.inWindow;
    }
    // Else a stray: its retry is all it costs.
  }

  /** A request that was not throttled: +1/rate per success is about +1 qps per second at full use. */
  onAccepted(nowMs: number): void {
    if (this.rate >= this.cap || nowMs - this.lastDecrease < HOLD_MS) return;
    this.rate = Math.min(this.cap, this.rate + 1 / this.rate);
  }

  private decreaseTo(rate: number, nowMs: number): void {
    this.lastDecrease = nowMs;
    this.rate = Math.min(this.cap, Math.max(this.floor, rate));
  }
}
