import type { ScenarioContext } from '../context';
import { DaemonChild } from '../daemon-child';
import type { SteadyParams } from '../profiles';
import { Check, SectionResult, fmt } from '../report';
import { BENCH_APP, BENCH_CREDENTIALS, baseConfig, benchRooms, configRooms, roomId, startSimulator } from '../sim-world';
import { maxInWindow } from '../stats';
import { sleep } from '../wait';

/**
 * Scenarios 1 and 2 share their runs: the daemon at `qps` with more rooms than a period can hold, so
 * its limiter always has work. One run yields both the busiest rolling second (at the server, over the
 * whole run including the start-up burst, and at the client from the probe's request start times) and
 * the request rate held over the steady window.
 */

export interface SteadyRun {
  qps: number;
  rooms: number;
  /** Busiest rolling 1 s of request arrivals at the simulator, whole run. */
  serverMaxWindow: number;
  /** Busiest rolling 1 s of request starts inside the daemon, whole run. */
  clientMaxWindow: number;
  /** The same two, counted only inside the steady window (start-up excluded). */
  serverSteadyMax: number;
  clientSteadyMax: number;
  steadySeconds: number;
  steadyRequests: number;
  achievedQps: number;
  throttled: number;
  totalRequests: number;
  nonSuccess: Record<string, number>;
}

export async function measureSteady(p: SteadyParams, qps: number, ctx: ScenarioContext): Promise<SteadyRun> {
  ctx.log(`steady rate: ${p.rooms} rooms at qps ${qps}, ${p.steadyS} s window`);
  // Served snapshots of 2-member rooms are small; their times give the steady-window count at the server.
  const { sim, endpoint } = await startSimulator(benchRooms(p.rooms, 2), true);
  let daemon: DaemonChild | undefined;
  try {
    daemon = await DaemonChild.start({
      config: baseConfig(endpoint, qps, p.schedule, configRooms(p.rooms)),
      credentials: BENCH_CREDENTIALS,
      cpuProfileDir: ctx.cpuProfileDir,
    });
    await sleep(p.warmupS * 1000);
    const r0 = sim.stats().requests;
    const t0 = Date.now();
    await sleep(p.steadyS * 1000);
    const r1 = sim.stats().requests;
    const t1 = Date.now();
    const dump = await daemon.probe();
    const stats = sim.stats();
    const steadySeconds = (t1 - t0) / 1000;
    // Both clocks are epoch milliseconds (the probe's is performance.timeOrigin-based), close enough to cut a window.
    const inWindow = (t: number): boolean => t >= t0 && t <= t1;
    const served: number[] = [];
    for (let i = 0; i < p.rooms; i++) for (const s of sim.servedSnapshots(BENCH_APP, roomId(i))) if (inWindow(s.at)) served.push(s.at);
    const nonSuccess = Object.fromEntries(Object.entries(stats.byCode).filter(([code]) => code !== 'Success'));
    return {
      qps,
      rooms: p.rooms,
      serverMaxWindow: stats.maxRequestsInAnyWindow,
      clientMaxWindow: maxInWindow(dump.requestStarts),
      serverSteadyMax: maxInWindow(served),
      clientSteadyMax: maxInWindow(dump.requestStarts.filter(inWindow)),
      steadySeconds,
      steadyRequests: r1 - r0,
      achievedQps: (r1 - r0) / steadySeconds,
      throttled: stats.throttled,
      totalRequests: stats.requests,
      nonSuccess,
    };
  } finally {
    await daemon?.stop();
    await sim.stop();
  }
}

export function capSection(runs: readonly SteadyRun[], p: SteadyParams): SectionResult {
  const checks: Check[] = [];
  for (const r of runs) {
    checks.push({ what: `client, qps ${r.qps}`, target: `≤ ${r.qps}`, measured: String(r.clientMaxWindow), pass: r.clientMaxWindow <= r.qps });
    checks.push({ what: `server, qps ${r.qps}`, target: `≤ ${r.qps + 1}`, measured: String(r.serverMaxWindow), pass: r.serverMaxWindow <= r.qps + 1 });
  }
  return {
    id: 'cap',
    setup: `${p.rooms} rooms (2 members each), schedule \`${p.schedule}\`, simulator cap 40/rolling s. Busiest rolling 1000 ms window over the whole run (start-up included, about ${Math.round(p.warmupS + p.steadyS)} s), counted from request start times inside the daemon (probe on Node's http.client.request.start channel) and from arrival times at the simulator (all arrivals, 429s included). The steady-window columns count only the ${p.steadyS} s saturation window (server: successful requests).`,
    tables: [
      {
        headers: ['qps', 'requests', 'max / rolling s, client (whole run)', 'server (whole run)', 'client (steady window)', 'server (steady window)', '429s', 'other non-Success'],
        rows: runs.map((r) => [
          String(r.qps),
          fmt.n(r.totalRequests),
          String(r.clientMaxWindow),
          String(r.serverMaxWindow),
          String(r.clientSteadyMax),
          String(r.serverSteadyMax),
          String(r.throttled),
          Object.keys(r.nonSuccess).length === 0 ? 'none' : JSON.stringify(r.nonSuccess),
        ]),
      },
    ],
    checks,
    notes: [],
    data: runs,
  };
}

export function saturationSection(runs: readonly SteadyRun[], p: SteadyParams): SectionResult {
  return {
    id: 'saturation',
    setup: `${p.rooms} rooms at schedule \`${p.schedule}\` (one cycle needs ${Math.round(p.rooms / Math.max(...p.qpsList))} s or more, so ticks overrun and cycles run back to back). Requests arriving at the simulator over a ${p.steadyS} s window that starts ${p.warmupS} s after the daemon is up.`,
    tables: [
      {
        headers: ['qps', 'window', 'requests', 'achieved req/s', 'achieved / qps'],
        rows: runs.map((r) => [String(r.qps), `${r.steadySeconds.toFixed(1)} s`, fmt.n(r.steadyRequests), fmt.n(r.achievedQps, 2), fmt.ratio(r.achievedQps / r.qps)]),
      },
    ],
    checks: runs.map((r) => ({ what: `achieved / qps at ${r.qps}`, target: '≥ 0.98', measured: fmt.ratio(r.achievedQps / r.qps), pass: r.achievedQps / r.qps >= 0.98 })),
    notes: [],
    data: runs.map((r) => ({ qps: r.qps, steadySeconds: r.steadySeconds, steadyRequests: r.steadyRequests, achievedQps: r.achievedQps })),
  };
}
