import { parseArgs } from 'node:util';
import { AdaptiveRate } from '../src/ratelimit/adaptive-rate';
import { StartWindow } from '../src/ratelimit/start-window';
import { createRng } from '../src/simulator/rng';
import { percentile } from './stats';

/**
 * `npm run bench:throttle-model -- [--p 0.01] [--runs 400] [--seconds 90] [--rooms 350] [--qps 35]`:
 * the adaptive rate (src/ratelimit/adaptive-rate.ts) and the limiter's start window, replayed on a virtual
 * clock against a vendor that refuses each request with probability p, in a round-robin poller with the
 * retry of a refused room sent next. Many runs in a second where the real throttle scenario
 * (`npm run bench -- --scenario throttle`) takes minutes for one, so a rule's false alarms are counted
 * rather than met by luck. What it leaves out: network and timer jitter (responses take a fixed 20 ms).
 * It prints, over the runs, the median and 90th percentile of each run's p99 freshness (gap between two
 * successful polls of a room over the optimum rooms / qps), the share of runs whose p99 is over 1.05, and
 * the rate cuts per hour.
 */

const RESPONSE_MS = 20;

interface Run {
  p99: number;
  cuts: number;
}

export function modelRun(p: number, seconds: number, rooms: number, qps: number, seed: number): Run {
  const random = createRng(seed).next;
  const rate = new AdaptiveRate(qps, 1);
  const window = new StartWindow(Math.ceil(qps));
  const lastSuccess = new Array<number | undefined>(rooms);
  const ratios: number[] = [];
  const optimumMs = (rooms / qps) * 1000;
  let cuts = 0;
  let room = 0;
  for (let now = 0; now < seconds * 1000; ) {
    const wait = window.delay(now, rate.current());
    if (wait > 0) {
      now += wait;
      continue;
    }
    window.record(now, rate.current());
    const before = rate.current();
    if (random() < p) {
      rate.onThrottled(now + RESPONSE_MS); // the same room goes again next (the retry's front lane)
    } else {
      rate.onAccepted(now + RESPONSE_MS);
      const last = lastSuccess[room];
      if (last !== undefined) ratios.push((now - last) / optimumMs);
      lastSuccess[room] = now;
      room = (room + 1) % rooms;
    }
    if (rate.current() < before) cuts++;
  }
  return { p99: percentile(ratios, 99), cuts };
}

function main(): void {
  const { values } = parseArgs({ options: { p: { type: 'string', default: '0.01' }, runs: { type: 'string', default: '400' }, seconds: { type: 'string', default: '90' }, rooms: { type: 'string', default: '350' }, qps: { type: 'string', default: '35' } } });
  const num = (name: keyof typeof values): number => {
    const n = Number(values[name]);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} ${values[name]}: expected a number`);
    return n;
  };
  const [p, runs, seconds, rooms, qps] = [num('p'), num('runs'), num('seconds'), num('rooms'), num('qps')];
  const results = Array.from({ length: runs }, (_, i) => modelRun(p, seconds, rooms, qps, i + 1));
  const p99s = results.map((r) => r.p99);
  const cuts = results.reduce((sum, r) => sum + r.cuts, 0);
  console.log(`throttle model: p(429) ${p}, ${runs} runs of ${seconds} s, ${rooms} rooms at qps ${qps}`);
  console.log(`  run p99 freshness: median ${percentile(p99s, 50).toFixed(4)}, 90th percentile ${percentile(p99s, 90).toFixed(4)}`);
  console.log(`  runs with p99 > 1.05: ${((100 * p99s.filter((x) => x > 1.05).length) / runs).toFixed(1)} %`);
  console.log(`  rate cuts: ${((cuts / (runs * seconds)) * 3600).toFixed(1)} per hour`);
}

if (require.main === module) main();
