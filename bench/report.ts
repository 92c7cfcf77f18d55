/**
 * Results as data, and their two renderings: a plain-text table for the terminal and Markdown sections
 * for BENCHMARKS.md. Pure: strings in, strings out. The runner only rewrites the regions between its own
 * markers, so hand-written analysis elsewhere in BENCHMARKS.md survives a re-run, and running one
 * scenario updates only that scenario's section.
 */

export const SCENARIO_IDS = ['cap', 'saturation', 'freshness', 'cost', 'scrape', 'diff', 'status', 'store', 'throttle', 'turnover'] as const;
export type ScenarioId = (typeof SCENARIO_IDS)[number];

export const SCENARIO_TITLES: Record<ScenarioId, string> = {
  cap: '1. Cap fidelity',
  saturation: '2. Saturation use',
  freshness: '3. Freshness',
  cost: '4. Cost (CPU and memory)',
  scrape: '5. Scrape cost',
  diff: '6. Diff throughput',
  status: '7. Status page',
  store: '8. State store cost',
  throttle: '9. Throttling without panic',
  turnover: '10. Event-loop delay during a full turnover',
};

export interface Table {
  headers: string[];
  rows: string[][];
}

export interface Check {
  what: string;
  target: string;
  measured: string;
  pass: boolean;
}

export interface SectionResult {
  id: ScenarioId;
  /** One line on how the numbers were produced (parameters). */
  setup: string;
  tables: Table[];
  checks: Check[];
  notes: string[];
  /** Raw figures, for --json. */
  data: unknown;
}

export interface RunInfo {
  command: string;
  /** The commit measured (see machine.ts). */
  revision: string;
  date: string;
  profile: string;
  node: string;
  cpus: string;
  memory: string;
  loadAverage: string;
}

export function markdownTable(t: Table): string {
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  const lines = [`| ${t.headers.map(esc).join(' | ')} |`, `|${t.headers.map(() => '---').join('|')}|`];
  for (const row of t.rows) lines.push(`| ${row.map(esc).join(' | ')} |`);
  return lines.join('\n');
}

export function textTable(t: Table): string {
  const widths = t.headers.map((h, i) => Math.max(h.length, ...t.rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(t.headers), line(widths.map((w) => '-'.repeat(w))), ...t.rows.map(line)].join('\n');
}

function checksTable(checks: readonly Check[]): Table {
  return { headers: ['Check', 'Target', 'Measured', 'Result'], rows: checks.map((c) => [c.what, c.target, c.measured, c.pass ? 'PASS' : 'FAIL']) };
}

export function renderSectionText(s: SectionResult): string {
  const parts = [`== ${SCENARIO_TITLES[s.id]} ==`, s.setup, ...s.tables.map(textTable)];
  if (s.checks.length > 0) parts.push(textTable(checksTable(s.checks)));
  parts.push(...s.notes.map((n) => `note: ${n}`));
  return parts.join('\n\n');
}

export function renderSectionMarkdown(s: SectionResult, run: RunInfo): string {
  const parts = [
    `_Measured ${run.date} at ${run.revision} (${run.profile} profile, \`${run.command}\`, Node ${run.node}, ${run.cpus}, load average at start ${run.loadAverage})._`,
    s.setup,
    ...s.tables.map(markdownTable),
  ];
  if (s.checks.length > 0) parts.push(markdownTable(checksTable(s.checks)));
  if (s.notes.length > 0) parts.push(s.notes.map((n) => `- ${n}`).join('\n'));
  return parts.join('\n\n');
}

export function renderRunMarkdown(run: RunInfo): string {
  return [
    `Last run: \`${run.command}\` on ${run.date} (${run.profile} profile).`,
    '',
    `- Code: ${run.revision}`,
    `- Node ${run.node}`,
    `- CPU: ${run.cpus}`,
    `- Memory: ${run.memory}`,
    `- Load average (1/5/15 min) at start: ${run.loadAverage}`,
  ].join('\n');
}

const begin = (id: string): string => `<!-- bench:${id}:begin -->`;
const end = (id: string): string => `<!-- bench:${id}:end -->`;

/** Replaces the marked region `id`; appends a new region (under `heading`) when the file has none yet. */
export function replaceRegion(doc: string, id: string, body: string, heading: string): string {
  const b = begin(id);
  const e = end(id);
  const from = doc.indexOf(b);
  const to = doc.indexOf(e);
  const region = `${b}\n${body}\n${e}`;
  if (from >= 0 && to > from) return doc.slice(0, from) + region + doc.slice(to + e.length);
  return `${doc.trimEnd()}\n\n${heading}\n\n${region}\n`;
}

/** The skeleton BENCHMARKS.md starts from when it does not exist yet. */
export const REPORT_SKELETON = `# Benchmarks

Numbers for rtc-room-monitor against the built-in simulator on loopback, produced by \`npm run bench\`
(see bench/). The runner rewrites only the regions between its \`bench:*\` markers.
`;

export function updateReport(existing: string | undefined, run: RunInfo, sections: readonly SectionResult[]): string {
  let doc = existing ?? REPORT_SKELETON;
  doc = replaceRegion(doc, 'run', renderRunMarkdown(run), '## Environment');
  for (const s of sections) doc = replaceRegion(doc, s.id, renderSectionMarkdown(s, run), `## ${SCENARIO_TITLES[s.id]}`);
  return doc;
}

/** Formatting helpers shared by the scenarios. */
export const fmt = {
  n: (v: number, digits = 0): string => (Number.isFinite(v) ? v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : 'n/a'),
  pct: (v: number, digits = 1): string => (Number.isFinite(v) ? `${v.toFixed(digits)} %` : 'n/a'),
  mib: (bytes: number): string => (Number.isFinite(bytes) ? `${(bytes / 2 ** 20).toFixed(1)} MiB` : 'n/a'),
  ms: (v: number, digits = 1): string => (Number.isFinite(v) ? `${v.toFixed(digits)} ms` : 'n/a'),
  ratio: (v: number, digits = 3): string => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a'),
};
