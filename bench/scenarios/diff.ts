import { diffMembership, Membership, membershipOf } from '../../src/rooms/membership-diff';
import type { ScenarioContext } from '../context';
import type { DiffParams } from '../profiles';
import { SectionResult, fmt } from '../report';
import { median } from '../stats';

/**
 * Scenario 6: members per second through the pure diff (in the harness process, no I/O). Also
 * membershipOf, which turns each response's lists into sets before the diff: a poll pays for both.
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

function nextOf(prev: string[], shape: Shape): Membership {
  const n = prev.length;
  if (shape === 'unchanged') {
    const s = split(prev);
    return membershipOf([...s.visible], [...s.invisible]);
  }
  if (shape === 'all replaced') {
    const s = split(ids('w', n));
    return membershipOf(s.visible, s.invisible);
  }
  // 1 % leave, 1 % join, 0.5 % switch visibility.
  const k = Math.max(1, Math.floor(n / 100));
  const kept = prev.slice(k).concat(ids('j', k));
  const s = split(kept);
  const moved = s.visible.splice(0, Math.max(1, Math.floor(k / 2)));
  return membershipOf(s.visible, s.invisible.concat(moved));
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
    const prev = membershipOf(ps.visible, ps.invisible);
    const record = (operation: string, cps: number): void => {
      runs.push({ members: n, operation, membersPerSecond: cps * n, nsPerMember: 1e9 / (cps * n) });
    };
    record('membershipOf (lists → sets)', callsPerSecond(() => membershipOf(ps.visible, ps.invisible).visible.size, p));
    for (const shape of SHAPES) {
      const next = nextOf(prevIds, shape);
      record(`diffMembership, ${shape}`, callsPerSecond(() => diffMembership(prev, next).changes.length, p));
    }
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
