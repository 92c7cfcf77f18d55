import { CycleScheduler } from '../../src/scheduler/cycle-scheduler';
import type { Ticker } from '../../src/scheduler/ticker';
import { schedulePeriodSeconds } from '../../src/scheduler/ticker';
import { FakeClock } from '../fakes/fake-clock';
import { memoryLogger } from '../fakes/recorders';

class ManualTicker implements Ticker {
  onTick?: () => void;
  stopped = false;
  start(onTick: () => void): void {
    this.onTick = onTick;
  }
  stop(): void {
    this.stopped = true;
  }
  fire(): void {
    this.onTick?.();
  }
}

function setup(cycleMs: number, gate?: () => boolean) {
  const clock = new FakeClock(0);
  const ticker = new ManualTicker();
  const starts: number[] = [];
  let active = 0;
  let maxActive = 0;
  const observed = { cycles: [] as number[], overruns: 0 };
  const scheduler = new CycleScheduler(
    ticker,
    async () => {
      starts.push(clock.now());
      active++;
      maxActive = Math.max(maxActive, active);
      await clock.sleep(cycleMs);
      active--;
    },
    { cycleDone: (d) => observed.cycles.push(d), overrun: (n) => (observed.overruns += n) },
    clock,
    memoryLogger().logger,
    gate,
  );
  return { clock, ticker, starts, scheduler, observed, maxActive: () => maxActive };
}

describe('CycleScheduler', () => {
  it('runs a first cycle at once, then one per tick', async () => {
    const t = setup(100);
    t.scheduler.start(true);
    await t.clock.advance(1000);
    t.ticker.fire();
    await t.clock.advance(1000);
    expect(t.starts).toEqual([0, 1000]);
    expect(t.observed.cycles).toEqual([0.1, 0.1]);
  });

  it('never overlaps: ticks during a cycle coalesce into one cycle that starts when it ends, and are counted', async () => {
    const t = setup(2500);
    t.scheduler.start(false);
    t.ticker.fire(); // a scheduled first cycle (the start-up one is below)
    for (let s = 1; s <= 3; s++) {
      await t.clock.advanceTo(s * 1000);
      t.ticker.fire();
    }
    await t.clock.advanceTo(10_000);
    expect(t.maxActive()).toBe(1);
    // Ticks at 1 s and 2 s fall in the first cycle, the tick at 3 s in the second.
    expect(t.starts).toEqual([0, 2500, 5000]);
    expect(t.observed.overruns).toBe(3);
  });

  it('absorbs the first tick that falls in the start-up cycle: no second full cycle right after it, no overrun', async () => {
    const t = setup(400);
    t.scheduler.start(true);
    await t.clock.advanceTo(300);
    t.ticker.fire(); // the schedule's first tick, while the start-up cycle still runs
    await t.clock.advanceTo(1300);
    t.ticker.fire();
    await t.clock.advanceTo(3000);
    expect(t.starts).toEqual([0, 1300]);
    expect(t.observed.overruns).toBe(0);
  });

  it('still counts further ticks during a long start-up cycle as overruns', async () => {
    const t = setup(2500);
    t.scheduler.start(true);
    for (let s = 1; s <= 2; s++) {
      await t.clock.advanceTo(s * 1000);
      t.ticker.fire();
    }
    await t.clock.advanceTo(4000);
    expect(t.starts).toEqual([0, 2500]);
    expect(t.observed.overruns).toBe(1);
  });

  it('does not absorb a tick once the start-up cycle has ended', async () => {
    const t = setup(100);
    t.scheduler.start(true);
    await t.clock.advanceTo(500);
    t.ticker.fire();
    await t.clock.advanceTo(550);
    t.ticker.fire(); // during the second cycle: a real overrun
    await t.clock.advanceTo(1000);
    expect(t.starts).toEqual([0, 500, 600]);
    expect(t.observed.overruns).toBe(1);
  });

  it('runs cycles only while its gate (leadership) is open: closed ticks are neither cycles nor overruns', async () => {
    let leader = false;
    const t = setup(1500, () => leader);
    t.scheduler.start(true);
    await t.clock.advanceTo(1000);
    t.ticker.fire();
    await t.clock.advanceTo(2000);
    expect(t.starts).toEqual([]);
    expect(t.observed.cycles).toEqual([]);
    leader = true;
    t.ticker.fire();
    await t.clock.advanceTo(3000);
    t.ticker.fire(); // during the cycle: would run next, but leadership is lost before it ends
    leader = false;
    await t.clock.advanceTo(6000);
    expect(t.starts).toEqual([2000]);
    expect(t.observed.cycles).toEqual([1.5]);
    expect(t.observed.overruns).toBe(1);
  });

  it('a cycle started by runNow (a new leader) absorbs the tick that comes while it runs', async () => {
    let leader = false;
    const t = setup(400, () => leader);
    t.scheduler.start(true); // gate closed: nothing runs, nothing to absorb
    await t.clock.advanceTo(1000);
    leader = true;
    t.scheduler.runNow();
    await t.clock.advanceTo(1200);
    t.ticker.fire(); // during the off-schedule cycle: it stood in for this tick
    await t.clock.advanceTo(2000);
    t.ticker.fire();
    await t.clock.advanceTo(3000);
    expect(t.starts).toEqual([1000, 2000]);
    expect(t.observed.overruns).toBe(0);
  });

  it('keeps going when a cycle rejects', async () => {
    const clock = new FakeClock(0);
    const ticker = new ManualTicker();
    let runs = 0;
    const scheduler = new CycleScheduler(
      ticker,
      async () => {
        runs++;
        throw new Error('bug');
      },
      { cycleDone: () => undefined, overrun: () => undefined },
      clock,
      memoryLogger().logger,
    );
    scheduler.start(true);
    await clock.advance(10);
    ticker.fire();
    await clock.advance(10);
    expect(runs).toBe(2);
  });

  it('stop() waits for the running cycle and stops ticking', async () => {
    const t = setup(500);
    t.scheduler.start(true);
    let stopped = false;
    const stopping = t.scheduler.stop().then(() => (stopped = true));
    await t.clock.advance(100);
    expect(stopped).toBe(false);
    await t.clock.advance(500);
    await stopping;
    expect(t.ticker.stopped).toBe(true);
    t.ticker.fire();
    await t.clock.advance(1000);
    expect(t.starts).toEqual([0]);
  });

  it.each([
    ['*/15 * * * * *', 15],
    ['*/2 * * * * *', 2],
    ['* * * * *', 60],
    ['0 */5 * * * *', 300],
  ])('period of %p is %p s', (expr, seconds) => {
    expect(schedulePeriodSeconds(expr)).toBe(seconds);
  });
});
