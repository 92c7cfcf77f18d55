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
 *  - evidence(rate) 429s in one window show an excess: the rate drops by all of them, and by one more for
 *    each further 429 of the window. Every 429 is a request the vendor counted over its cap, so the cut is
 *    the measured excess; a quota that other clients took a share of yields about as many 429s in a window
 *    as the share, so the cut converges on it within the window.
 *  - 429s in each of several windows in a row (at least MIN_STRAY_WINDOWS), fewer than the evidence in
 *    each but together less likely than STREAK_FALSE_ALARM from random refusals, are a small sustained
 *    excess that never shows several at once: the rate drops by each of them. One 429 a window is an
 *    excess from the sixth window in a row at 10 requests a second and from the eleventh at 35 (where a
 *    random one is in three windows out of ten, so three in a row, the rule before, came every forty
 *    seconds); two a window from the fifth at 35.
 *  - After the episode's first window, more 429s than the evidence in one window means the proportionate
 *    cuts are not keeping up: the rate halves, at most once per window (AIMD, as TCP does), down to the
 *    floor.
 *  - Recovery: after a window without a decrease, by about one request per second each second (AIMD).
 * (Measured against the previous rules in BENCHMARKS.md, throttling section; `npm run bench:throttle-model`
 * replays this class against random 429s in a paced poller in a second.)
 *
 * (A slow start, a quarter of the cap doubling each second, was tried against start-up bunching on the
 * wire: it did not change the measured cap fidelity and cost freshness in the first cycle; see
 * BENCHMARKS.md.)
 */
export const THROTTLE_WINDOW_MS = 1000;
/** No 429 for this long ends an episode: the next one is again treated as a lone one. */
export const EPISODE_GAP_MS = 2 * THROTTLE_WINDOW_MS;
/**
 * What the rules below treat as noise: random 429s on up to STRAY_SHARE of requests should look like an
 * excess less than once in 1 / FALSE_ALARM windows. The thresholds therefore grow with the rate, because
 * random refusals do.
 */
export const STRAY_SHARE = 0.01;
export const FALSE_ALARM = 1e-3;
/**
 * The bar for a run of windows is stricter: a run can be made in many ways (two 429s then one then one,
 * one then two then one, ...) and their chances add up. In the throttle model (bench/throttle-model.ts:
 * random 429s at 1 % of 35 requests a second, 400 runs of 90 s), a bar of FALSE_ALARM for runs cut in 13 %
 * of the runs, 1e-4 in 5 %, and this one in 2 % (about half of those by the one-window rule alone).
 */
export const STREAK_FALSE_ALARM = 1e-5;
/** Never fewer 429s in one window than this before they are taken as an excess. */
export const MIN_CONFIRMING_429S = 3;
/** Never fewer windows in a row than this before 429s too few for one window are taken as an excess. */
export const MIN_STRAY_WINDOWS = 3;

/** Rates are clamped to this (far above any vendor's cap) so exp(-mean) below cannot underflow to 0. */
const MAX_RATE = 10_000;

/** The chance that random refusals on STRAY_SHARE of `rate` requests put at least `count` in one window (a Poisson tail). */
export function strayChance(count: number, rate: number): number {
  const mean = STRAY_SHARE * (Number.isFinite(rate) ? Math.min(Math.max(0, rate), MAX_RATE) : 0);
  let term = Math.exp(-mean); // P(exactly k), from k = 0
  let below = 0; // P(fewer than k)
  for (let k = 0; k < count; k++) {
    below += term;
    term *= mean / (k + 1);
  }
  return Math.max(0, 1 - below);
}

/**
 * 429s in one window that show an excess rather than strays: at least three, and enough that random
 * refusals reach that many less than once in a thousand windows. `given` 429s do not count towards the
 * chance: the episode's first window starts at its first 429, so that one is given and the window needs
 * the unlikely count on top of it (without that, random 429s at 1 % cut in 9.5 % of the throttle
 * model's runs instead of 2 %). At 35 requests a second three random 429s land in one window once in two hundred windows,
 * and each such false alarm cost a cycle's freshness (BENCHMARKS.md); four once in two thousand. At 10 a
 * second three are already that rare.
 */
export function evidence(rate: number, given = 0): number {
  let unlikely = 0;
  while (strayChance(unlikely, rate) >= FALSE_ALARM) unlikely++;
  return Math.max(MIN_CONFIRMING_429S, given + unlikely);
}

/** 429s of a window that are not evidence: the episode's first window starts at its first 429. */
function givenIn(window: number): number {
  return window === 0 ? 1 : 0;
}

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
  /** The chance of the streak's earlier windows from random refusals (the product of their strayChance). */
  private streakChance = 1;

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
      const consecutive = !fresh && window === this.window + 1;
      this.streak = consecutive ? this.streak + 1 : 1;
      this.streakChance = consecutive ? this.streakChance * strayChance(this.inWindow - givenIn(this.window), this.rate) : 1;
      this.window = window;
      this.inWindow = 0;
      this.counted = 0;
      this.halved = false;
    }
    this.inWindow++;
    // Once halved, the window's later 429s report the same overload (requests already in flight).
    if (this.halved) return;
    // Halving needs more than the evidence, so a low rate gets its proportionate cut first.
    const given = givenIn(window);
    const needed = evidence(this.rate, given);
    if (window > 0 && this.inWindow > needed) {
      this.halved = true;
      this.decreaseTo(this.rate / 2, nowMs);
    } else if (this.inWindow >= needed || (this.streak >= MIN_STRAY_WINDOWS && this.streakChance * strayChance(this.inWindow - given, this.rate) < STREAK_FALSE_ALARM)) {
      // Enough 429s to be an excess, not strays (or a few a window, window after window: a small excess
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
