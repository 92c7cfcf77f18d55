import fc from 'fast-check';
import { Clock } from '../../src/clock';
import { AdaptiveRate } from '../../src/ratelimit/adaptive-rate';
import { SlidingWindowLimiter } from '../../src/ratelimit/limiter';
import { COLD_GUARD_MS, GUARD_MS, StartWindow } from '../../src/ratelimit/start-window';
import { FakeClock } from '../fakes/fake-clock';
import { maxInAnyWindow } from '../support/rolling-window';


/** A clock whose timers fire late by a random lag, like a busy event loop. */
function laggy(clock: FakeClock, lags: number[]): Clock {
  let i = 0;
  return { now: () => clock.now(), sleep: (ms, signal) => clock.sleep(ms + (lags[i++ % lags.length] ?? 0), signal) };
}

async function run(qps: number, requests: number, clock: FakeClock, limiterClock: Clock = clock): Promise<number[]> {
  const limiter = new SlidingWindowLimiter(limiterClock, { current: () => qps }, 40);
  const starts: number[] = [];
  const all = Array.from({ length: requests }, () => limiter.acquire().then(() => starts.push(clock.now())));
  while (starts.length < requests) await clock.advance(7);
  await Promise.all(all);
  return starts;
}

describe('StartWindow', () => {
  it('allows floor(qps) starts per rolling second plus the guard, paced (1000 + guard)/qps apart', () => {
    const w = new StartWindow(4);
    for (let t = -10_000; t < -5000; t += 1000) w.record(t, 4); // past the cold first window
    const gap = (1000 + GUARD_MS) / 4;
    expect(w.delay(0, 4)).toBe(0);
    w.record(0, 4);
    expect(w.delay(0, 4)).toBe(gap);
    // Starts that came early on the pacing grid (as after an idle spell) still meet the hard window.
    w.record(10, 4);
    w.record(20, 4);
    w.record(30, 4);
    expect(w.delay(999, 4)).toBe(1000 + GUARD_MS - 999);
    expect(w.delay(1000 + GUARD_MS, 4)).toBe(0);
  });

  /**
   * A window of three whose ring has wrapped and whose cold first window is past, holding `starts`. Recorded
   * at a rate of 30 (short pacing gaps) so that only the hard window decides at a rate of 3.
   */
  function wrappedWindow(...starts: number[]): StartWindow {
    const w = new StartWindow(3);
    for (let t = -10_000; t < -5000; t += 1000) w.record(t, 30);
    for (const t of starts) w.record(t, 30);
    return w;
  }

  it('forgets a start taken back (its request had not left), also once the ring has wrapped', () => {
    const w = wrappedWindow(0, 400, 800);
    expect(w.delay(900, 3)).toBe(110); // three starts in the window: the one at 0 must be 1010 ms old
    w.remove(12_345); // never recorded: nothing changes
    expect(w.delay(900, 3)).toBe(110);
    w.remove(400);
    expect(w.delay(900, 3)).toBe(0); // two starts left in the window
    w.record(900, 3);
    expect(w.delay(900, 3)).toBeGreaterThan(0);
  });

  it('moves a start to when its request left, keeping the ring in time order (restamp)', () => {
    const w = wrappedWindow(0, 3, 800);
    expect(w.delay(900, 3)).toBe(110); // the start at 0 must be 1010 ms old
    w.restamp(0, 5); // it left at 5, after the one granted at 3: the oldest is now 3
    expect(w.delay(900, 3)).toBe(113);
    w.restamp(3, 4); // and that one at 4
    expect(w.delay(900, 3)).toBe(114);
    w.restamp(12_345, 20_000); // not in the window: nothing changes
    w.restamp(800, 700); // never earlier
    expect(w.delay(900, 3)).toBe(114);
    // Taking back a moved start finds it under its new time.
    w.remove(5);
    expect(w.delay(900, 3)).toBe(0);
  });

  it('holds the first window of a process with the wider cold-start guard', () => {
    const w = new StartWindow(4);
    for (const t of [0, 253, 505, 758]) w.record(t, 4);
    expect(w.delay(1010, 4)).toBe(COLD_GUARD_MS - GUARD_MS);
    expect(w.delay(1000 + COLD_GUARD_MS, 4)).toBe(0);
  });

  it('does not let a late start push the schedule back', () => {
    const w = new StartWindow(40);
    const gap = (1000 + GUARD_MS) / 10;
    w.record(0, 10); // next slot at one gap
    w.record(gap + 30, 10); // 30 ms late: the next slot stays on the grid at two gaps
    expect(w.delay(gap + 30, 10)).toBeCloseTo(gap - 30, 9);
  });

  it('keeps a start delayed by up to the guard inside the cap as seen on the wire', () => {
    // Permits on time, but the first of a window leaves the process 9 ms late: still floor(qps) per second.
    const w = new StartWindow(40);
    for (let t = -10_000; t < -9000; t += 10) w.record(t, 35); // past the cold first window
    const permits: number[] = [];
    for (let now = 0; permits.length < 36; now++) {
      if (w.delay(now, 35) === 0) {
        w.record(now, 35);
        permits.push(now);
      }
    }
    const wire = permits.map((t, i) => (i === 0 ? t + 9 : t));
    expect(maxInAnyWindow(wire)).toBeLessThanOrEqual(35);
  });
});

describe('SlidingWindowLimiter (fake clock)', () => {
  it.each([1, 2.5, 10, 35, 39])('never lets more than floor(%p) starts into any rolling second', async (qps) => {
    const clock = new FakeClock(1_000_000);
    const starts = await run(qps, Math.ceil(qps * 5) + 3, clock);
    expect(maxInAnyWindow(starts)).toBeLessThanOrEqual(Math.floor(qps));
  });

  it('keeps the limiter busy at its cap (throughput ~ qps)', async () => {
    const clock = new FakeClock(0);
    const starts = await run(35, 351, clock);
    // 351 starts at 35 per (1 s + guard) need 10 spans, ~10,100 ms (the cold first window shifts the grid once).
    const span = 10 * (1000 + GUARD_MS);
    expect(starts[350]! - starts[0]!).toBeGreaterThanOrEqual(span - 1);
    expect(starts[350]! - starts[0]!).toBeLessThanOrEqual(span + COLD_GUARD_MS);
  });

  it('property: with random timer lag and qps, no rolling second exceeds floor(qps)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.double({ min: 1, max: 39.99, noNaN: true }),
        fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 5, max: 120 }),
        async (qps, lags, requests) => {
          const clock = new FakeClock(5_000);
          const starts = await run(qps, requests, clock, laggy(clock, lags));
          expect(maxInAnyWindow(starts)).toBeLessThanOrEqual(Math.floor(qps));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('serves callers in the order they asked', async () => {
    const clock = new FakeClock(0);
    const limiter = new SlidingWindowLimiter(clock, { current: () => 5 }, 40);
    const order: number[] = [];
    const all = [0, 1, 2, 3, 4, 5, 6].map((i) => limiter.acquire().then(() => order.push(i)));
    await clock.advance(3000);
    await Promise.all(all);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('lets a caller that asks for the front go ahead of everyone waiting, and still keeps the rate', async () => {
    const clock = new FakeClock(0);
    const limiter = new SlidingWindowLimiter(clock, { current: () => 5 }, 40);
    const order: string[] = [];
    const starts: number[] = [];
    const note = (name: string) => () => {
      order.push(name);
      starts.push(clock.now());
    };
    const all = [0, 1, 2, 3].map((i) => limiter.acquire().then(note(`q${i}`)));
    await clock.advance(1); // q0 has its permit; q1..q3 wait
    all.push(limiter.acquire({ front: true }).then(note('retry')));
    all.push(limiter.acquire().then(note('late')));
    all.push(limiter.acquire({ front: true }).then(note('retry2'))); // retries among themselves: first come, first served
    await clock.advance(3000);
    await Promise.all(all);
    expect(order).toEqual(['q0', 'retry', 'retry2', 'q1', 'q2', 'q3', 'late']);
    expect(maxInAnyWindow(starts)).toBeLessThanOrEqual(5);
  });

  it('reports how long each caller waited', async () => {
    const clock = new FakeClock(0);
    const limiter = new SlidingWindowLimiter(clock, { current: () => 2 }, 40);
    const waits = Promise.all([limiter.acquire(), limiter.acquire(), limiter.acquire()]);
    await clock.advance(2000);
    const gap = (1000 + GUARD_MS) / 2;
    // The third start closes the first window, which holds the cold-start guard.
    expect(await waits).toEqual([0, Math.ceil(gap), 1000 + COLD_GUARD_MS]);
  });

  it('drops an aborted waiter and rejects everyone on close', async () => {
    const clock = new FakeClock(0);
    const limiter = new SlidingWindowLimiter(clock, { current: () => 1 }, 40);
    await limiter.acquire();
    const ac = new AbortController();
    const aborted = limiter.acquire({ signal: ac.signal });
    const closed = limiter.acquire();
    ac.abort();
    await expect(aborted).rejects.toThrow('aborted');
    expect(limiter.pending()).toBe(1);
    limiter.close();
    await expect(closed).rejects.toThrow('limiter closed');
    await expect(limiter.acquire()).rejects.toThrow('limiter closed');
  });

  it('follows a lowered rate at once', async () => {
    const clock = new FakeClock(0);
    const rate = new AdaptiveRate(20, 1);
    const limiter = new SlidingWindowLimiter(clock, rate, 40);
    const starts: number[] = [];
    for (let i = 0; i < 10; i++) rate.onThrottled(0); // ten 429s in the first window: 20 → 10
    const all = Array.from({ length: 30 }, () => limiter.acquire().then(() => starts.push(clock.now())));
    await clock.advance(3000);
    await Promise.all(all);
    expect(maxInAnyWindow(starts)).toBeLessThanOrEqual(10);
  });

  describe('a permit counts when its request leaves (Permit.start)', () => {
    it('re-counts grants whose requests were held back (a stalled send path): no burst when they leave together', async () => {
      const clock = new FakeClock(0);
      const limiter = new SlidingWindowLimiter(clock, { current: () => 6 }, 40);
      let release: () => void = () => undefined;
      const held = new Promise<void>((resolve) => (release = resolve));
      const starts: number[] = [];
      const polls = Array.from({ length: 40 }, async () => {
        const permit = await limiter.permit();
        // Granted while the send path is stuck (from 1 s to 2.5 s): the request leaves when it frees up.
        if (clock.now() >= 1000 && clock.now() < 2500) await held;
        await permit.start();
        starts.push(clock.now());
      });
      await clock.advance(2500);
      release();
      await clock.advance(20_000);
      await Promise.all(polls);
      expect(starts).toHaveLength(40);
      expect(maxInAnyWindow(starts)).toBeLessThanOrEqual(6);
    });

    it('holds() repeats the freshness check at the send: a stall after start() resolved makes it false, and start() then re-counts', async () => {
      const clock = new FakeClock(0);
      const limiter = new SlidingWindowLimiter(clock, { current: () => 2 }, 40);
      const first = await limiter.permit();
      await first.start();
      expect(first.holds()).toBe(true); // nothing ran between: it leaves as counted, at 0
      const pending = limiter.permit();
      await clock.advance(505); // the pacing gap at qps 2: (1000 + 10) / 2
      const second = await pending;
      const grantedAt = clock.now();
      await second.start();
      // A synchronous commit ran between start()'s check and the send: 20 ms, beyond the guard's half.
      await clock.advance(20);
      expect(second.holds()).toBe(false);
      let restartedAt = -1;
      let heldThen = false;
      const again = second.start().then(() => {
        restartedAt = clock.now();
        heldThen = second.holds(); // sent at once when the new start came: it holds
      });
      await clock.advance(5000);
      await again;
      expect(heldThen).toBe(true);
      expect(restartedAt).toBeGreaterThanOrEqual(grantedAt + 20);
      // The re-counted start is the one the window holds: a third permit waits for it to age.
      const third = limiter.permit().then(async (p) => (await p.start(), clock.now()));
      await clock.advance(5000);
      expect(maxInAnyWindow([0, restartedAt, await third])).toBeLessThanOrEqual(2);
      limiter.close();
    });

    it('a request that leaves a little after its grant is counted from when it left: the guard stays whole for the write', async () => {
      const clock = new FakeClock(0);
      const limiter = new SlidingWindowLimiter(clock, { current: () => 1 }, 40);
      await (await limiter.permit()).start(); // at 0: the cold first window
      await clock.advance(2000);
      const first = await limiter.permit(); // at 2000
      await clock.advance(4); // within lateMs of the grant
      await first.start();
      expect(first.holds()).toBe(true);
      let grantedAt = -1;
      const next = limiter.permit().then(() => (grantedAt = clock.now()));
      await clock.advance(5000);
      await next;
      // Counted from 2004, not 2000: the next start waits a full window plus the guard after it.
      expect(grantedAt).toBe(2004 + 1000 + GUARD_MS);
      limiter.close();
    });

    it('a fresh permit starts at once; a late one gives its counted start back and waits for a new one', async () => {
      const clock = new FakeClock(0);
      const limiter = new SlidingWindowLimiter(clock, { current: () => 2 }, 40);
      const first = await limiter.permit();
      await first.start(); // no time passed: it starts where it was granted, without waiting
      const second = limiter.permit();
      await clock.advance(505);
      const late = await second;
      // A third request is granted and leaves at once, while the second's request is still held.
      const third = limiter.permit().then(async (p) => (await p.start(), clock.now()));
      await clock.advance(700);
      const thirdAt = await third;
      // The second request leaves 700 ms after its grant: its start is counted anew, when the window allows.
      let startedAt = -1;
      const started = late.start().then(() => (startedAt = clock.now()));
      await clock.advance(0);
      expect(startedAt).toBe(-1);
      await clock.advance(5000);
      await started;
      expect(startedAt).toBeGreaterThan(1205);
      expect(maxInAnyWindow([0, thirdAt, startedAt])).toBeLessThanOrEqual(2);
      limiter.close();
    });
  });
});
