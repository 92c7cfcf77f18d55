import { readFileSync } from 'node:fs';

/**
 * `node dist/bench/profile-top.js FILE.cpuprofile [--skip-s N] [--top N] [--within TEXT]`: the top frames of
 * a V8 CPU profile (written by `npm run bench -- --cpu-prof DIR`), as shares of the busy (non-idle) time:
 *  - by kind: the daemon's own code (dist/src), each npm package, Node's internals, GC;
 *  - by owner: each sample charged to the nearest frame of our code or of a package up its stack, so the
 *    Node internals axios calls count for axios;
 *  - the top frames by self time, and (--within) the top frames by inclusive time whose URL contains TEXT.
 * --skip-s leaves out the first seconds (start-up: module loading, the first connections).
 * Pure apart from reading the file; summarize() is what the tests call.
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export type Share = [what: string, percent: number];
export interface Summary {
  busyMs: number;
  byKind: Share[];
  byOwner: Share[];
  topSelf: Share[];
  topWithin: Share[];
}

const PSEUDO = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);

function kindOf(f: CallFrame): string {
  if (PSEUDO.has(f.functionName)) return f.functionName;
  if (f.url === '') return '(V8 builtins and native)';
  const npm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f.url);
  if (npm) return `npm:${npm[1]}`;
  if (f.url.includes('/dist/src/')) return 'daemon';
  if (f.url.includes('/dist/bench/')) return 'bench';
  return f.url.startsWith('node:') ? 'node internals' : f.url;
}

function label(f: CallFrame): string {
  const where = f.url.includes('node_modules/') ? f.url.replace(/^.*node_modules\//, '') : f.url.includes('/dist/') ? f.url.slice(f.url.indexOf('/dist/') + 6) : f.url;
  return `${f.functionName || '(anonymous)'} ${where}${where ? `:${f.lineNumber + 1}` : ''}`;
}

function shares(m: Map<string, number>, total: number, top: number): Share[] {
  return [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, t]) => [k, (100 * t) / total]);
}

export function summarize(p: CpuProfile, opts: { skipMs?: number; top?: number; within?: string } = {}): Summary {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  let at = 0;
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i] ?? 0;
    if (at >= (opts.skipMs ?? 0) * 1000) selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
    at += dt;
  });
  const byKind = new Map<string, number>();
  const byOwner = new Map<string, number>();
  const topSelf = new Map<string, number>();
  const within = new Map<string, number>();
  let busy = 0;
  const add = (m: Map<string, number>, k: string, t: number): void => void m.set(k, (m.get(k) ?? 0) + t);
  for (const [id, t] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === '(idle)') continue;
    busy += t;
    const kind = kindOf(frame);
    add(byKind, kind, t);
    add(topSelf, label(frame), t);
    let owner = PSEUDO.has(frame.functionName) ? frame.functionName : '(Node and V8 only)';
    const seen = new Set<string>();
    for (let x: number | undefined = id; x !== undefined; x = parent.get(x)) {
      const f = byId.get(x)!.callFrame;
      const k = kindOf(f);
      if (owner === '(Node and V8 only)' && (k === 'daemon' || k === 'bench' || k.startsWith('npm:'))) owner = k === 'daemon' ? `daemon:${f.url.split('/dist/src/')[1]!.split('/')[0]}` : k;
      if (opts.within && f.url.includes(opts.within)) {
        const l = label(f);
        if (!seen.has(l)) add(within, l, t);
        seen.add(l);
      }
    }
    add(byOwner, owner, t);
  }
  const top = opts.top ?? 20;
  return { busyMs: busy / 1000, byKind: shares(byKind, busy, top), byOwner: shares(byOwner, busy, top), topSelf: shares(topSelf, busy, top), topWithin: shares(within, busy, top) };
}

function print(title: string, rows: Share[]): void {
  process.stdout.write(`\n${title}\n${rows.map(([k, pct]) => `${pct.toFixed(1).padStart(6)} %  ${k}`).join('\n')}\n`);
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const opt = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args.splice(i, 2)[1] : undefined;
  };
  const skip = Number(opt('--skip-s') ?? 0);
  const top = Number(opt('--top') ?? 20);
  const within = opt('--within');
  for (const file of args) {
    const s = summarize(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, { skipMs: skip * 1000, top, within });
    process.stdout.write(`\n== ${file}: ${s.busyMs.toFixed(0)} ms busy (after the first ${skip} s)\n`);
    print('by kind (self time)', s.byKind);
    print('by owner (nearest own or package frame up the stack)', s.byOwner);
    print('top frames (self time)', s.topSelf);
    if (within) print(`top frames in ${within} (inclusive time)`, s.topWithin);
  }
}
