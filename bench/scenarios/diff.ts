import { Members } from '../../src/rooms/membership-diff';
import type { ScenarioContext } from '../context';
import type { DiffParams } from '../profiles';
import { SectionResult, fmt } from '../report';
import { median } from '../stats';

/**
 * Scenario 6: members per second through the member diff (in the harness process, no I/O): the ordered
 * fast path of an unchanged room, the diff of a changed one, and a changed poll whole (diff, then apply in
 * place, as the store does after its commit). Also building a room's members from lists, which happens
 * once per room (its baseline or a restore).
 */

type Shape = 'unchanged' | '1% churn' | 'all replaced';
const SHAPES: Shape[] = ['unchanged', '1% churn', 'all replaced'];

export interface DiffRun {
  members: number;
  operation: string;
  /** Median over batches. */
  membersPerSecond: number;
  nsPerMember: number;
}

function ids(prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}_${i}`);
}

/** Nine in ten visible, like the cost scenario's rooms. */
function split(list: string[]): { visible: string[]; invisible: string[] } {
  const cut = list.length - Math.floor(list.length / 10);
  return { visible: list.slice(0, cut), invisible: list.slice(cut) };
}

/** The lists of the next answer, as a server sends them (fresh arrays of the same ids). */
function nextOf(prev: string[], shape: Shape): { visible: string[]; invisible: string[] } {
  const n = prev.length;
  if (shape === 'unchanged') {
    const s = split(prev);
    return { visible: [...s.visible], invisible: [...s.invisible] };
  }
  if (shape === 'all replaced') return split(ids('w', n));
  // 1 % leave, 1 % join, 0.5 % switch visibility.
  const k = Math.max(1, Math.floor(n / 100));
  const kept = prev.slice(k).concat(ids('j', k));
  const s = split(kept);
  const moved = s.visible.splice(0, Math.max(1, Math.floor(k / 2)));
  return { visible: s.visible, invisible: s.invisible.concat(moved) };
}

/** Calls `fn` repeatedly for `batchMs`, `batches` times after one warm-up batch; median calls per second. */
function callsPerSecond(fn: () => number, p: DiffParams): number {
  let sink = 0;
  const rates: number[] = [];
  for (let b = 0; b <= p.batches; b++) {
    let calls = 0;
    const t0 = performance.now();
    let t = t0;
    while (t - t0 < p.batchMs) {
      sink += fn();
      calls++;
      t = performance.now();
    }
    if (b > 0) rates.push(calls / ((t - t0) / 1000));
  }
  // Keeps the work observable so the optimiser cannot drop it.
  if (sink < 0) throw new Error('unreachable');
  return median(rates);
}

export function measureDiff(p: DiffParams, ctx: ScenarioContext): DiffRun[] {
  const runs: DiffRun[] = [];
  for (const n of p.memberCounts) {
    ctx.log(`diff: ${n} members`);
    const prevIds = ids('u', n);
    const ps = split(prevIds);
    const prev = Members.of(ps.visible, ps.invisible);
    const record = (operation: string, cps: number): void => {
      runs.push({ members: n, operation, membersPerSecond: cps * n, nsPerMember: 1e9 / (cps * n) });
    };
    record('Members.of (a baseline, once per room)', callsPerSecond(() => Members.of(ps.visible, ps.invisible).size, p));
    const same = nextOf(prevIds, 'unchanged');
    record('sameAsListed, unchanged (the fast path)', callsPerSecond(() => (prev.sameAsListed(same.visible, same.invisible) ? 1 : 0), p));
    for (const shape of SHAPES) {
      const next = nextOf(prevIds, shape);
      record(`diff, ${shape}`, callsPerSecond(() => prev.diff(next.visible, next.invisible).length, p));
    }
    // A changed poll whole: back and forth between the two answers, each diffed and applied in place.
    const churned = nextOf(prevIds, '1% churn');
    const room = Members.of(ps.visible, ps.invisible);
    let flip = false;
    const poll = (): number => {
      const to = flip ? ps : churned;
      flip = !flip;
      const changes = room.diff(to.visible, to.invisible);
      room.apply(changes);
      return changes.length;
    };
    record('diff + apply, 1% churn each poll', callsPerSecond(poll, p));
  }
  return runs;
}

export function diffSection(runs: readonly DiffRun[], p: DiffParams): SectionResult {
  return {
    id: 'diff',
    setup: `In-process microbenchmark of src/rooms/membership-diff.ts: median of ${p.batches} batches of ${p.batchMs} ms after a warm-up batch. "Members" = room size (9 in 10 visible); churn = 1 % leave, 1 % join, 0.5 % change visibility. No target in the issue; for scale, a poll at 40 qps of 10,000-member rooms needs 400,000 members/s.`,
    tables: [
      {
        headers: ['members / room', 'operation', 'members / s', 'ns / member'],
        rows: runs.map((r) => [fmt.n(r.members), r.operation, fmt.n(r.membersPerSecond), fmt.n(r.nsPerMember, 1)]),
      },
    ],
    checks: [],
    notes: [],
    data: runs,
  };
}
