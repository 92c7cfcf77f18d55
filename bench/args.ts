import { parseArgs } from 'node:util';
import type { ProfileName } from './profiles';
import { SCENARIO_IDS, ScenarioId } from './report';

/** Command-line options of the runner. Pure: argv in, options or an error message out. */

export interface RunOptions {
  scenarios: ScenarioId[];
  profile: ProfileName;
  /** Markdown report to update; undefined = do not write one. */
  out?: string;
  json?: string;
  cpuProfileDir?: string;
  help: boolean;
}

export const USAGE = `Usage: npm run bench -- [options]   (or: node dist/bench/run.js [options])

  --scenario LIST   comma-separated, repeatable: ${SCENARIO_IDS.join(', ')} (default: all)
  --quick           shorter and smaller runs (about 2 minutes) for checking a change
  --smoke           a few seconds per scenario; proves the harness works, numbers mean nothing
  --out FILE        Markdown report to update (default BENCHMARKS.md; --smoke writes none unless given)
  --no-write        do not update any report
  --json FILE       also write the raw results as JSON
  --cpu-prof DIR    each daemon writes a V8 CPU profile into DIR when it stops
  --help
`;

export function parseRunArgs(argv: string[], defaultOut: string): RunOptions | { error: string } {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        scenario: { type: 'string', multiple: true },
        quick: { type: 'boolean', default: false },
        smoke: { type: 'boolean', default: false },
        out: { type: 'string' },
        'no-write': { type: 'boolean', default: false },
        json: { type: 'string' },
        'cpu-prof': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    return { error: (err as Error).message };
  }
  if (values.quick && values.smoke) return { error: '--quick and --smoke exclude each other' };
  if (values['no-write'] && values.out !== undefined) return { error: '--out and --no-write exclude each other' };

  const requested = (values.scenario ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s !== '');
  const unknown = requested.filter((s) => s !== 'all' && !(SCENARIO_IDS as readonly string[]).includes(s));
  if (unknown.length > 0) return { error: `unknown scenario ${unknown.join(', ')} (known: ${SCENARIO_IDS.join(', ')}, all)` };
  const wanted = requested.length === 0 || requested.includes('all') ? SCENARIO_IDS : requested;
  // Always in the canonical order, whatever order they were asked in.
  const scenarios = SCENARIO_IDS.filter((id) => wanted.includes(id));

  const profile: ProfileName = values.smoke ? 'smoke' : values.quick ? 'quick' : 'full';
  const out = values['no-write'] ? undefined : (values.out ?? (profile === 'smoke' ? undefined : defaultOut));
  return { scenarios, profile, out, json: values.json, cpuProfileDir: values['cpu-prof'], help: values.help };
}
