import { parseRunArgs } from '../../bench/args';
import { SCENARIO_IDS } from '../../bench/report';

const DEFAULT_OUT = '/repo/BENCHMARKS.md';

describe('parseRunArgs', () => {
  it('runs everything at full size into BENCHMARKS.md by default', () => {
    expect(parseRunArgs([], DEFAULT_OUT)).toMatchObject({ scenarios: [...SCENARIO_IDS], profile: 'full', out: DEFAULT_OUT });
  });

  it('takes comma-separated and repeated scenarios, in canonical order', () => {
    expect(parseRunArgs(['--scenario', 'diff,cap', '--scenario', 'scrape'], DEFAULT_OUT)).toMatchObject({ scenarios: ['cap', 'scrape', 'diff'] });
    expect(parseRunArgs(['--scenario', 'all'], DEFAULT_OUT)).toMatchObject({ scenarios: [...SCENARIO_IDS] });
  });

  it('writes no report for a smoke run unless asked, and none with --no-write', () => {
    expect(parseRunArgs(['--smoke'], DEFAULT_OUT)).toMatchObject({ profile: 'smoke', out: undefined });
    expect(parseRunArgs(['--smoke', '--out', '/tmp/x.md'], DEFAULT_OUT)).toMatchObject({ out: '/tmp/x.md' });
    expect(parseRunArgs(['--quick', '--no-write'], DEFAULT_OUT)).toMatchObject({ profile: 'quick', out: undefined });
  });

  it.each([
    [['--scenario', 'speed'], /unknown scenario speed/],
    [['--quick', '--smoke'], /exclude/],
    [['--out', 'a.md', '--no-write'], /exclude/],
    [['--bogus'], /bogus/],
  ])('rejects %j', (argv, message) => {
    const parsed = parseRunArgs(argv, DEFAULT_OUT);
    expect('error' in parsed && parsed.error).toMatch(message);
  });
});
