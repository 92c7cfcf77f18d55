/**
 * The pure core of the limiter: given when recent requests started, how long must the next one wait?
 *
 * Written by hand because the common limiters (token buckets, bottleneck's reservoir) bound the *average*
 * rate and let a full bucket plus a refill through in one second, i.e. qps+1 in a rolling window. The
 * vendor counts a rolling window, so this enforces two rules at once:
 *  - hard: at most floor(qps) starts in any rolling window of 1000 ms plus a guard (the start qps-back
 *    must be at least that old);
 *  - pacing: starts are spread one every (1000 + guard)/qps ms on a virtual schedule, so the server sees a
 *    smooth stream rather than a burst each second. A start that comes a little late (timer lag) does not
 *    push the schedule back, so lag does not erode throughput; after an idle spell the schedule restarts.
 *
 * Why the guard: the permit is granted a moment before the request leaves (signing, axios, the OS
 * scheduler on a busy machine), and the server counts arrivals after network jitter. Without slack, a
 * permit qps-back that left a millisecond late lets qps+1 requests fall into one rolling second as seen on
 * the wire (measured: bench/ cap fidelity). 10 ms costs 1 % of throughput.
 */
export const WINDOW_MS = 1000;
export const GUARD_MS = 10;
/**
 * The first window of a process gets a wider guard: its first requests leave 15-20 ms after their permits
 * (cold code paths, first connections), measured in bench/ cap fidelity. Costs one ~40 ms pause, once.
 */
export const COLD_GUARD_MS = 50;
const SPAN_MS = WINDOW_MS + GUARD_MS;

export class StartWindow {
  private readonly ring: number[];
  private head = 0; // index of the oldest kept start
  private size = 0;
  private nextSlot = Number.NEGATIVE_INFINITY;
  /** When the first start was recorded (windows that begin within a second of it are cold). */
  private firstStart?: number;

  constructor(private readonly maxCount: number) {
    this.ring = new Array<number>(maxCount).fill(0);
  }

  /** Milliseconds until a start at `now` is allowed at rate `qps` (0 = now). */
  delay(now: number, qps: number): number {
    const count = Math.max(1, Math.min(this.maxCount, Math.floor(qps)));
    let wait = 0;
    if (this.size >= count) {
      const countBack = this.ring[(this.head + this.size - count) % this.maxCount]!;
      const cold = countBack < (this.firstStart ?? countBack) + WINDOW_MS;
      wait = countBack + (cold ? WINDOW_MS + COLD_GUARD_MS : SPAN_MS) - now;
    }
    return Math.max(0, wait, this.nextSlot - now);
  }

  /**
   * Forget a start recorded at `at` that did not happen then (its request had not left; it will be
   * recorded again when it does). The pacing schedule stays: it only ever errs on the slow side.
   */
  remove(at: number): void {
    const kept: number[] = [];
    let removed = false;
    for (let i = this.size - 1; i >= 0; i--) {
      const t = this.ring[(this.head + i) % this.maxCount]!;
      if (!removed && t === at) removed = true;
      else kept.unshift(t);
    }
    if (!removed) return;
    kept.forEach((t, i) => (this.ring[i] = t));
    this.head = 0;
    this.size = kept.length;
  }

  /**
   * A start recorded at `at` happened at `now` (a little later: its request left after the grant). Moved
   * within the ring, which stays in time order: the rule looks qps starts back by position.
   */
  restamp(at: number, now: number): void {
    if (now <= at) return;
    let i = this.size - 1;
    while (i >= 0 && this.ring[(this.head + i) % this.maxCount] !== at) i--;
    if (i < 0) return; // already out of the window, or taken back
    // Later starts recorded meanwhile move one place back while they are earlier than `now`.
    for (; i + 1 < this.size; i++) {
      const next = this.ring[(this.head + i + 1) % this.maxCount]!;
      if (next >= now) break;
      this.ring[(this.head + i) % this.maxCount] = next;
    }
    this.ring[(this.head + i) % this.maxCount] = now;
  }

  /** Record a start at `now` (call only when delay(now) is 0). */
  record(now: number, qps: number): void {
    const gap = SPAN_MS / qps;
    // Late by less than a gap: keep the schedule (absorbs timer lag). Later than that: we were idle.
    this.nextSlot = now - this.nextSlot < gap ? this.nextSlot + gap : now + gap;
    this.firstStart ??= now;
    if (this.size < this.maxCount) {
      this.ring[(this.head + this.size) % this.maxCount] = now;
      this.size++;
    } else {
      this.ring[this.head] = now;
      this.head = (this.head + 1) % this.maxCount;
    }
  }
}
