import { Simulator } from '../../src/simulator';
import type { ScenarioContext } from '../context';
import { DaemonChild } from '../daemon-child';
import type { ThrottleParams } from '../profiles';
import { SectionResult, fmt } from '../report';
import { BENCH_APP, BENCH_CREDENTIALS, baseConfig, benchRooms, configRooms, roomId, startSimulator } from '../sim-world';
import { intervals, percentile } from '../stats';
import { sleep } from '../wait';

/**
 * Scenario 7: throttling without panic.
 *  - isolated: the simulator answers a random `status429` fault with probability p per request (stray
 *    429s: jitter at the vendor's gateway); freshness as in scenario 3, p99 of the gaps between a room's
 *    successful polls over the optimum max(period, rooms / qps). Run with p = 0 in the same run for scale.
 *  - sustained: the simulator's own rolling-window cap is below the daemon's qps (another client took part
 *    of the account's quota). Time from the first 429 to the end of the first burst of 429s (the first
 *    full second without one), and the 429 share and accepted rate after that.
 */

export interface IsolatedRun {
  probability: number;
  rooms: number;
  qps: number;
  optimumS: number;
  injected429: number;
  samples: number;
  p50: number;
  p99: number;
  max: number;
}

export interface SustainedRun {
  qps: number;
  simCapQps: number;
  /** Seconds from the first 429 to the last 429 before a full quiet second. */
  backOffS: number;
  /** After the back-off, until the end of the run. */
  throttledShare: number;
  acceptedQps: number;
}

async function isolated(p: ThrottleParams, probability: number, ctx: ScenarioContext): Promise<IsolatedRun> {
  const optimumS = Math.max(p.periodS, p.rooms / p.qps);
  ctx.log(`throttle (isolated): ${p.rooms} rooms at qps ${p.qps}, p(429) = ${probability}, ${p.durationS} s`);
  const { sim, endpoint } = await startSimulator(benchRooms(p.rooms, 1), true);
  try {
    sim.setFaults({ status429: probability });
    const daemon = await DaemonChild.start({ config: baseConfig(endpoint, p.qps, p.schedule, configRooms(p.rooms)), credentials: BENCH_CREDENTIALS, cpuProfileDir: ctx.cpuProfileDir });
    try {
      await sleep(p.durationS * 1000);
    } finally {
      await daemon.stop();
    }
    const ratios: number[] = [];
    for (let i = 0; i < p.rooms; i++) {
      for (const gapMs of intervals(sim.servedSnapshots(BENCH_APP, roomId(i)).map((s) => s.at))) ratios.push(gapMs / 1000 / optimumS);
    }
    return {
      probability,
      rooms: p.rooms,
      qps: p.qps,
      optimumS,
      injected429: sim.stats().faultsInjected.status429,
      samples: ratios.length,
      p50: percentile(ratios, 50),
      p99: percentile(ratios, 99),
      max: ratios.length ? Math.max(...ratios) : NaN,
    };
  } finally {
    await sim.stop();
  }
}

function throttledSoFar(sim: Simulator): number {
  const s = sim.stats();
  return s.throttled + s.faultsInjected.status429;
}

async function sustained(p: ThrottleParams, ctx: ScenarioContext): Promise<SustainedRun> {
  ctx.log(`throttle (sustained): daemon qps ${p.qps}, simulator cap ${p.sustainedSimCapQps}, ${p.sustainedS} s`);
  const { sim, endpoint } = await startSimulatorWithCap(p.rooms, p.sustainedSimCapQps);
  try {
    const samples: Array<{ t: number; requests: number; throttled: number; served: number }> = [];
    const daemon = await DaemonChild.start({ config: baseConfig(endpoint, p.qps, '* * * * * *', configRooms(p.rooms)), credentials: BENCH_CREDENTIALS, cpuProfileDir: ctx.cpuProfileDir });
    try {
      const end = performance.now() + p.sustainedS * 1000;
      while (performance.now() < end) {
        const s = sim.stats();
        samples.push({ t: performance.now(), requests: s.requests, throttled: throttledSoFar(sim), served: s.served });
        await sleep(20);
      }
    } finally {
      await daemon.stop();
    }
    const first = samples.findIndex((s) => s.throttled > 0);
    if (first < 0) return { qps: p.qps, simCapQps: p.sustainedSimCapQps, backOffS: 0, throttledShare: 0, acceptedQps: NaN };
    // The end of the first burst: the last sample with a new 429 before a full second without one.
    let lastNew = first;
    for (let i = first + 1; i < samples.length; i++) {
      if (samples[i]!.throttled > samples[i - 1]!.throttled) lastNew = i;
      else if (samples[i]!.t - samples[lastNew]!.t >= 1000) break;
    }
    const a = samples[lastNew]!;
    const z = samples[samples.length - 1]!;
    const seconds = (z.t - a.t) / 1000;
    return {
      qps: p.qps,
      simCapQps: p.sustainedSimCapQps,
      backOffS: (a.t - samples[first]!.t) / 1000,
      throttledShare: z.requests > a.requests ? (z.throttled - a.throttled) / (z.requests - a.requests) : 0,
      acceptedQps: seconds > 0 ? (z.served - a.served) / seconds : NaN,
    };
  } finally {
    await sim.stop();
  }
}

async function startSimulatorWithCap(rooms: number, capQps: number): Promise<{ sim: Simulator; endpoint: string }> {
  const sim = new Simulator({ credentials: BENCH_CREDENTIALS, rooms: benchRooms(rooms, 1), seed: 1, capQps });
  return { sim, endpoint: await sim.start() };
}

export interface ThrottleResults {
  isolated: IsolatedRun[];
  sustained: SustainedRun;
}

export async function measureThrottle(p: ThrottleParams, ctx: ScenarioContext): Promise<ThrottleResults> {
  const runs: IsolatedRun[] = [];
  for (const probability of p.probabilities) runs.push(await isolated(p, probability, ctx));
  return { isolated: runs, sustained: await sustained(p, ctx) };
}

export function throttleSection(r: ThrottleResults, p: ThrottleParams): SectionResult {
  const s = r.sustained;
  const worst = r.isolated.filter((x) => x.probability > 0).reduce((m, x) => Math.max(m, x.p99), 0);
  return {
    id: 'throttle',
    setup: `Isolated: ${p.rooms} one-member rooms at qps ${p.qps}, schedule \`${p.schedule}\`, ${p.durationS} s; the simulator answers each request with an injected 429 (FlowLimitExceeded) with probability p; per room, the gaps between successive successful polls over the optimum max(period, rooms / qps). Sustained: the simulator's rolling-window cap is ${p.sustainedSimCapQps} req/s while the daemon is configured for ${p.qps}; back-off = from the first 429 to the last one before a full second without any.`,
    tables: [
      {
        headers: ['p(429) per request', 'injected 429s', 'intervals', 'optimum', 'p50', 'p99', 'max'],
        rows: r.isolated.map((x) => [String(x.probability), fmt.n(x.injected429), fmt.n(x.samples), `${x.optimumS.toFixed(2)} s`, fmt.ratio(x.p50), fmt.ratio(x.p99), fmt.ratio(x.max)]),
      },
      {
        headers: ['daemon qps', 'simulator cap', 'back-off (first 429 → first quiet second)', '429 share after', 'accepted req/s after'],
        rows: [[String(s.qps), String(s.simCapQps), `${s.backOffS.toFixed(2)} s`, fmt.pct(s.throttledShare * 100), fmt.n(s.acceptedQps, 1)]],
      },
    ],
    checks: [
      { what: 'p99 freshness with isolated 429s', target: '≤ 1.05', measured: fmt.ratio(worst), pass: worst <= 1.05 },
      { what: 'back-off under sustained throttling', target: '≤ 1 s', measured: `${s.backOffS.toFixed(2)} s`, pass: s.backOffS <= 1 },
    ],
    notes: [],
    data: r,
  };
}
