import { parseArgs } from 'node:util';
import { AdaptivePlan } from '../src/scheduler/adaptive-plan';
import { PollQueue } from '../src/scheduler/poll-queue';
import { accountBounds } from '../src/scheduler/pump-wiring';
import { StartWindow } from '../src/ratelimit/start-window';
import { createRng, Rng } from '../src/simulator/rng';
import { maxInWindow, percentile } from './stats';

/**
 * `npm run bench:adaptive -- [--rooms 2000] [--qps 35] [--period 15] [--changes 20] [--minutes 120]
 * [--warmup 30] [--seed 1]`: round-robin and adaptive polling side by side on a virtual clock, each against
 * the same simulated world (the same seed gives every room the same change times under both strategies).
 *
 * What runs for real: the scheduler's pure core, the same code the daemon's pump runs (the poll queue
 * and its choice of the next room in poll-queue.ts, the adaptive plan with its estimator and square-root rule, the
 * bounds of pump-wiring.ts) and the limiter's start window at `qps`. Round-robin is the same queue with
 * every room at the same interval (AdaptivePlan in uniform mode), which is the order and the pace of
 * back-to-back cycles. What is modelled: the vendor (a poll sees the room's members at its permit time,
 * no latency, no failures) and the world (per room, Poisson changes, each a join of a new user or the leave
 * of a present one, half and half).
 *
 * Detection delay: from a change in the world to the poll that reports it (a join whose user is still
 * there, a leave of a user a poll had seen). A visit that starts and ends between two polls of its room is
 * a missed short visit (neither change is reported). Counted for changes after the warm-up.
 *
 * Worlds: `skewed` (a tenth of the rooms carry nine tenths of the changes) and `uniform`; in both, ten of
 * the quiet rooms are silent for ten minutes after the warm-up and then turn busy (the sudden-onset check).
 */

interface WorldSpec {
  name: 'skewed' | 'uniform';
  /** Changes per second of each room before and after the onset time. */
  rate: (room: number, tMs: number) => number;
  busy: (room: number) => boolean;
  switchers: readonly number[];
  onsetMs: number;
}

interface Member {
  id: number;
  joinedMs: number;
  seen: boolean;
}

/** One room of the world: its own random stream, so its changes do not depend on when it is polled. */
class WorldRoom {
  readonly members: Member[] = [];
  /** Leaves of seen members since the last poll (their times). */
  readonly leaves: number[] = [];
  private nextMs: number;
  private nextId = 0;
  shortVisits = 0;

  constructor(
    private readonly rng: Rng,
    private readonly rate: (tMs: number) => number,
    initial: number,
  ) {
    for (let i = 0; i < initial; i++) this.members.push({ id: this.nextId++, joinedMs: 0, seen: false });
    this.nextMs = this.draw(0);
  }

  /** Play the world forward to `tMs`. */
  advance(tMs: number, countFromMs: number): void {
    while (this.nextMs <= tMs) {
      const at = this.nextMs;
      if (this.rate(at - 1) === 0) {
        // A silent spell's look-again, not a change.
        this.nextMs = this.draw(at);
        continue;
      }
      if (this.members.length === 0 || this.rng.next() < 0.5) {
        this.members.push({ id: this.nextId++, joinedMs: at, seen: false });
      } else {
        const [m] = this.members.splice(this.rng.int(this.members.length), 1);
        if (m!.seen) this.leaves.push(at);
        else if (m!.joinedMs >= countFromMs) this.shortVisits++;
      }
      this.nextMs = this.draw(at);
    }
  }

  /** Thinning would be exact; the rate changes once (the onset), so drawing from the rate at `fromMs` is close enough. */
  private draw(fromMs: number): number {
    const r = this.rate(fromMs) / 1000;
    return r > 0 ? fromMs + this.rng.exponentialMs(r) : fromMs + 60_000; // silent: look again in a minute
  }
}

interface Result {
  delays: { busy: number[]; idle: number[] };
  shortVisits: number;
  maxGapOverBound: number;
  maxInSecond: number;
  polls: number;
  /**
   * Per onset room: its polls after the onset until the interval it got was within 1.25 × the median target
   * of the busy rooms (a room that never got there is not listed).
   */
  onsetPolls: number[];
  busyInterval: number;
  idleInterval: number;
}

function run(world: WorldSpec, strategy: 'round-robin' | 'adaptive', o: Options): Result {
  const rooms = Array.from({ length: o.rooms }, (_, i) => new WorldRoom(createRng(o.seed * 1_000_003 + i), (t) => world.rate(i, t), world.busy(i) || world.switchers.includes(i) ? 20 : 3));
  const plan = new AdaptivePlan<number>(strategy === 'round-robin');
  const queue = new PollQueue<number>();
  const lastPoll = new Array<number | undefined>(o.rooms);
  const window = new StartWindow(Math.ceil(o.qps));
  const bounds = accountBounds({ strategy, maxIntervalSeconds: undefined }, o.period, o.qps, o.rooms);
  const warmupMs = o.warmup * 60_000;
  const endMs = o.minutes * 60_000;
  for (let i = 0; i < o.rooms; i++) {
    plan.add(i);
    queue.set(i, 0, true);
  }
  const result: Result = { delays: { busy: [], idle: [] }, shortVisits: 0, maxGapOverBound: 0, maxInSecond: 0, polls: 0, onsetPolls: [], busyInterval: 0, idleInterval: 0 };
  const starts: number[] = [];
  const onsetCount = new Map<number, number>();
  for (let now = 0; now < endMs; ) {
    const wait = window.delay(now, o.qps);
    if (wait > 0) {
      now += wait;
      continue;
    }
    const pick = queue.next(now, true);
    if (pick.key === undefined) {
      now = Math.max(now + 1, Math.min(pick.atMs, now + 1000));
      continue;
    }
    window.record(now, o.qps);
    if (now >= warmupMs) starts.push(now);
    const i = pick.key;
    const room = rooms[i]!;
    room.advance(now, warmupMs);
    let changes = room.leaves.length;
    const delays = world.busy(i) ? result.delays.busy : result.delays.idle;
    const baseline = lastPoll[i] === undefined;
    for (const t of room.leaves) if (!baseline && t >= warmupMs) delays.push((now - t) / 1000);
    room.leaves.length = 0;
    for (const m of room.members) {
      if (m.seen) continue;
      m.seen = true;
      changes++;
      if (!baseline && m.joinedMs >= warmupMs) delays.push((now - m.joinedMs) / 1000);
    }
    const prev = lastPoll[i];
    if (prev !== undefined && now >= warmupMs) result.maxGapOverBound = Math.max(result.maxGapOverBound, (now - prev) / 1000 / bounds.lateAfterSeconds);
    lastPoll[i] = now;
    const interval = plan.polled(i, baseline ? 0 : changes, now, bounds);
    queue.set(i, now + interval * 1000, false, now + o.period * 1000);
    result.polls++;
    if (world.switchers.includes(i) && now >= world.onsetMs && !onsetCount.has(-i - 1)) {
      const n = (onsetCount.get(i) ?? 0) + 1;
      onsetCount.set(i, n);
      const busyMedian = median(busyRooms(world, o.rooms).map((b) => plan.intervalOf(b, now, bounds)));
      if (interval <= 1.25 * busyMedian) {
        result.onsetPolls.push(n);
        onsetCount.set(-i - 1, 1); // done
      }
    }
  }
  for (const r of rooms) result.shortVisits += r.shortVisits;
  result.maxInSecond = maxInWindow(starts, 1000);
  result.busyInterval = median(busyRooms(world, o.rooms).map((b) => plan.intervalOf(b, endMs, bounds)));
  result.idleInterval = median(Array.from({ length: o.rooms }, (_, i) => i).filter((i) => !world.busy(i) && !world.switchers.includes(i)).map((i) => plan.intervalOf(i, endMs, bounds)));
  return result;
}

function busyRooms(world: WorldSpec, n: number): number[] {
  return Array.from({ length: n }, (_, i) => i).filter((i) => world.busy(i));
}

function median(xs: number[]): number {
  return percentile(xs, 50);
}

interface Options {
  rooms: number;
  qps: number;
  period: number;
  changes: number;
  minutes: number;
  warmup: number;
  seed: number;
}

function worlds(o: Options): WorldSpec[] {
  const busyCount = Math.round(o.rooms / 10);
  const busy = (i: number): boolean => i < busyCount;
  // Ten quiet rooms (the last ten) are silent from the start until ten minutes after the warm-up, then busy.
  const switchers = Array.from({ length: 10 }, (_, k) => o.rooms - 1 - k);
  const onsetMs = (o.warmup + 10) * 60_000;
  const busyRate = (0.9 * o.changes) / busyCount;
  const idleRate = (0.1 * o.changes) / (o.rooms - busyCount);
  const uniformRate = o.changes / o.rooms;
  const withOnset = (base: (i: number) => number, target: number) => (i: number, t: number) => (switchers.includes(i) ? (t < onsetMs ? 0 : target) : base(i));
  return [
    { name: 'skewed', rate: withOnset((i) => (busy(i) ? busyRate : idleRate), busyRate), busy, switchers, onsetMs },
    { name: 'uniform', rate: withOnset(() => uniformRate, busyRate), busy, switchers, onsetMs },
  ];
}

function summary(r: Result, strategy: 'round-robin' | 'adaptive'): Record<string, string | number> {
  const all = [...r.delays.busy, ...r.delays.idle];
  const mean = all.reduce((s, x) => s + x, 0) / all.length;
  return {
    'mean delay s': mean.toFixed(2),
    'p99 busy s': percentile(r.delays.busy, 99).toFixed(1),
    'p99 idle s': percentile(r.delays.idle, 99).toFixed(1),
    'missed short visits': r.shortVisits,
    'busy interval s': r.busyInterval.toFixed(1),
    'idle interval s': r.idleInterval.toFixed(1),
    'max gap / bound': r.maxGapOverBound.toFixed(3),
    'max req in 1 s': r.maxInSecond,
    // Round-robin gives every room the same interval: the check says nothing there.
    'onset polls': strategy === 'round-robin' || r.onsetPolls.length === 0 ? '-' : `${Math.max(...r.onsetPolls)} (of ${r.onsetPolls.length} rooms)`,
  };
}

function main(): void {
  const { values } = parseArgs({
    options: {
      rooms: { type: 'string', default: '2000' },
      qps: { type: 'string', default: '35' },
      period: { type: 'string', default: '15' },
      changes: { type: 'string', default: '20' },
      minutes: { type: 'string', default: '120' },
      warmup: { type: 'string', default: '30' },
      seed: { type: 'string', default: '1' },
    },
  });
  const o = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Number(v)])) as unknown as Options;
  for (const [k, v] of Object.entries(o)) if (!Number.isFinite(v) || v <= 0) throw new Error(`--${k}: expected a positive number`);
  console.log(`adaptive model: ${o.rooms} rooms at qps ${o.qps}, period ${o.period} s, ${o.changes} changes/s in all, ${o.minutes} min (first ${o.warmup} min not counted), seed ${o.seed}`);
  for (const world of worlds(o)) {
    const rr = run(world, 'round-robin', o);
    const ad = run(world, 'adaptive', o);
    const mean = (r: Result) => {
      const all = [...r.delays.busy, ...r.delays.idle];
      return all.reduce((s, x) => s + x, 0) / all.length;
    };
    console.log(`\n${world.name}: adaptive / round-robin mean delay = ${(mean(ad) / mean(rr)).toFixed(3)}`);
    console.table({ 'round-robin': summary(rr, 'round-robin'), adaptive: summary(ad, 'adaptive') });
  }
}

if (require.main === module) main();
