import { markdownTable, replaceRegion, RunInfo, SectionResult, textTable, updateReport } from '../../bench/report';

const run: RunInfo = {
  command: 'npm run bench -- --scenario diff',
  revision: 'abc1234',
  date: '2030-01-02T03:04:05Z',
  profile: 'full',
  node: 'v20.0.0',
  cpus: '2 × Test CPU',
  memory: '4.0 GiB',
  loadAverage: '0.10 / 0.20 / 0.30',
};

const section = (id: SectionResult['id'], value: string, pass = true): SectionResult => ({
  id,
  setup: `setup of ${id}`,
  tables: [{ headers: ['what', 'value'], rows: [['x', value]] }],
  checks: [{ what: 'x', target: '≤ 1', measured: value, pass }],
  notes: [],
  data: {},
});

describe('tables', () => {
  it('renders Markdown with escaped pipes and aligned text', () => {
    const t = { headers: ['a', 'b'], rows: [['1|2', 'long value']] };
    expect(markdownTable(t)).toBe('| a | b |\n|---|---|\n| 1\\|2 | long value |');
    expect(textTable(t).split('\n')).toEqual(['a    b', '---  ----------', '1|2  long value']);
  });
});

describe('updateReport', () => {
  it('builds a report from nothing with a region per section', () => {
    const doc = updateReport(undefined, run, [section('diff', '0.5')]);
    expect(doc).toContain('<!-- bench:run:begin -->');
    expect(doc).toContain('## 6. Diff throughput\n\n<!-- bench:diff:begin -->');
    expect(doc).toContain('| x | ≤ 1 | 0.5 | PASS |');
    expect(doc).toContain('`npm run bench -- --scenario diff`');
    expect(doc).toContain('at abc1234');
  });

  it('replaces only the regions it ran, keeping hand-written text and other sections', () => {
    let doc = updateReport(undefined, run, [section('cap', '1'), section('diff', '2')]);
    doc = doc.replace('## 6. Diff throughput', 'Analysis written by hand.\n\n## 6. Diff throughput');
    const next = updateReport(doc, run, [section('diff', '3', false)]);
    expect(next).toContain('Analysis written by hand.');
    expect(next).toContain('| x | ≤ 1 | 1 | PASS |'); // cap untouched
    expect(next).toContain('| x | ≤ 1 | 3 | FAIL |');
    expect(next).not.toContain('| x | ≤ 1 | 2 |');
    expect(next.match(/bench:diff:begin/g)).toHaveLength(1);
  });

  it('appends a region that is missing', () => {
    expect(replaceRegion('# Title\n', 'x', 'body', '## X')).toBe('# Title\n\n## X\n\n<!-- bench:x:begin -->\nbody\n<!-- bench:x:end -->\n');
  });
});
