import type { ScenarioContext } from '../context';
import { DaemonChild } from '../daemon-child';
import type { TurnoverParams } from '../profiles';
import { SectionResult, fmt } from '../report';
import { BENCH_APP, BENCH_CREDENTIALS, baseConfig, benchRooms, configRooms, roomId, startSimulator } from '../sim-world';
import type { Simulator } from '../../src/simulator';
import { sleep } from '../wait';

/**
 * Scenario 8: the daemon's event-loop delay (perf_hooks, read by the bench probe) while one big room turns
 * over completely between two polls: every member leaves and as many new ones join, so one poll diffs
 * 2 × members and emits as many events (to an NDJSON file, as a deployment would). Compared with a window
 * of the same length without turnover, in the same run. Room 0 is the big one; the others have one member
 * and keep the limiter busy as usual.
 */

export interface TurnoverRun {
  members: number;
  turnovers: number;
  windowS: number;
  quiet: { p50: number; p99: number; max: number; samples: number };
  turning: { p50: number; p99: number; max: number; samples: number };
  /** Join events the daemon counted during the turnover window (should be members × turnovers). */
  joinsSeen: number;
}

let fresh = 0;

/** Replaces every member of the room, nine in ten visible. */
function turnOver(sim: Simulator, members: number): void {
  const snap = sim.world.snapshot(BENCH_APP, roomId(0));
  for (const id of [...snap.visible, ...snap.invisible]) sim.world.removeMember(BENCH_APP, roomId(0), id);
  const invisible = Math.floor(members / 10);
  for (let i = 0; i < members; i++) sim.world.addMember(BENCH_APP, roomId(0), `t${fresh++}`, i < invisible ? 'invisible' : 'visible');
}

async function joins(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = /^rtc_events_total\{type="join"\} (\S+)$/m.exec(text);
  return m ? Number(m[1]) : NaN;
}

export async function measureTurnover(p: TurnoverParams, ctx: ScenarioContext): Promise<TurnoverRun> {
  ctx.log(`turnover: a ${p.members}-member room replaced ${p.turnovers} times, every ${p.everyS} s`);
  const specs = benchRooms(p.rooms, 1);
  specs[0] = { ...specs[0]!, visible: p.members - Math.floor(p.members / 10), invisible: Math.floor(p.members / 10) };
  const { sim, endpoint } = await startSimulator(specs);
  let daemon: DaemonChild | undefined;
  try {
    daemon = await DaemonChild.start({
      config: { ...baseConfig(endpoint, p.qps, '* * * * * *', configRooms(p.rooms)), events: { log: false, file: 'events.ndjson' } },
      credentials: BENCH_CREDENTIALS,
      cpuProfileDir: ctx.cpuProfileDir,
      loopDelay: true,
    });
    await daemon.waitFor('/-/ready', 60_000);
    const windowS = p.turnovers * p.everyS;
    await daemon.probe(); // start of the quiet window
    await sleep(windowS * 1000);
    const quiet = (await daemon.probe()).eventLoopDelay;
    const j0 = await joins(daemon.url);
    for (let i = 0; i < p.turnovers; i++) {
      turnOver(sim, p.members);
      await sleep(p.everyS * 1000);
    }
    const turning = (await daemon.probe()).eventLoopDelay;
    const joinsSeen = (await joins(daemon.url)) - j0;
    return { members: p.members, turnovers: p.turnovers, windowS, quiet, turning, joinsSeen };
  } finally {
    await daemon?.stop();
    await sim.stop();
  }
}

export function turnoverSection(r: TurnoverRun, p: TurnoverParams): SectionResult {
  const row = (what: string, d: TurnoverRun['quiet']): string[] => [what, fmt.ms(d.p50), fmt.ms(d.p99), fmt.ms(d.max), fmt.n(d.samples)];
  return {
    id: 'turnover',
    setup: `${p.rooms} rooms at qps ${p.qps}, schedule every second; room 0 has ${fmt.n(p.members)} members (nine in ten visible) and is replaced entirely every ${p.everyS} s (${p.turnovers} times), so each of those polls diffs ${fmt.n(2 * p.members)} members and emits as many events to an NDJSON file. Event-loop delay in the daemon from perf_hooks.monitorEventLoopDelay (10 ms resolution), read by the bench probe over the turnover window and over a quiet window of the same length just before it. Each window starts with the probe's forced GC.`,
    tables: [
      {
        headers: ['window', 'delay p50', 'delay p99', 'delay max', 'samples'],
        rows: [row('quiet', r.quiet), row(`turnover (${r.turnovers} × ${fmt.n(r.members)} members)`, r.turning)],
      },
    ],
    checks: [
      { what: 'event-loop delay p99 during full turnovers', target: '≤ 50 ms', measured: fmt.ms(r.turning.p99), pass: r.turning.p99 <= 50 },
      { what: 'join events seen', target: `${fmt.n(r.members * r.turnovers)}`, measured: fmt.n(r.joinsSeen), pass: r.joinsSeen === r.members * r.turnovers },
    ],
    notes: [],
    data: r,
  };
}
