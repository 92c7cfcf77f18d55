import { copyFileSync, constants, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { packagePath } from './package-paths';

export const INIT_USAGE = `Usage: rtc-room-monitor init [DIR] [--observability]
  Writes a starter monitor.yaml (every key at its default, commented) into DIR (default: the current
  directory). --observability adds prometheus/prometheus.yml (scrape config), prometheus/rules/*.yml
  (alerts and recording rules) and grafana/dashboards/*.json beside it. Never overwrites a file.
`;

/** One file to write: a file shipped with the package and where its copy goes. */
export interface InitFile {
  from: string;
  to: string;
}

/** Every *.<ext> file directly in dir, sorted, so the plan (and its output) is stable. */
function filesIn(dir: string, ext: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith(ext))
    .sort();
}

/**
 * What init writes, from the package's own files: the example config as monitor.yaml and, for the
 * observability pack, the scrape config with its rules directory (prometheus.yml loads rules/*.yml relative
 * to itself) and the dashboards. The same files the repository's compose stack and tests use.
 */
export function initPlan(dir: string, observability: boolean, root: (...parts: string[]) => string = packagePath): InitFile[] {
  const plan: InitFile[] = [{ from: root('config', 'monitor.example.yaml'), to: join(dir, 'monitor.yaml') }];
  if (!observability) return plan;
  plan.push({ from: root('config', 'prometheus', 'prometheus.yml'), to: join(dir, 'prometheus', 'prometheus.yml') });
  const rules = root('config', 'prometheus', 'rules');
  for (const name of filesIn(rules, '.yml')) plan.push({ from: join(rules, name), to: join(dir, 'prometheus', 'rules', name) });
  const dashboards = root('grafana', 'dashboards');
  for (const name of filesIn(dashboards, '.json')) plan.push({ from: join(dashboards, name), to: join(dir, 'grafana', 'dashboards', name) });
  return plan;
}

/**
 * Writes the plan, or nothing at all when any target exists: a half-written pack next to a user's edited
 * files would be worse than a clear refusal. Returns the files written; throws naming every file in the way.
 */
export function writeInitFiles(plan: InitFile[]): string[] {
  const existing = plan.filter((f) => existsSync(f.to)).map((f) => f.to);
  if (existing.length > 0) throw new Error(`init: will not overwrite ${existing.join(', ')}; remove ${existing.length === 1 ? 'it' : 'them'} or choose another directory`);
  for (const f of plan) {
    mkdirSync(dirname(f.to), { recursive: true });
    // COPYFILE_EXCL: a file created between the check above and this copy is still never overwritten.
    copyFileSync(f.from, f.to, constants.COPYFILE_EXCL);
  }
  return plan.map((f) => f.to);
}

/** `rtc-room-monitor init [DIR] [--observability]`; resolves with the exit code. */
export function runInit(argv: string[], out: (s: string) => void, err: (s: string) => void): number {
  let values: { observability?: boolean; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      options: { observability: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: true,
    }));
  } catch (e) {
    err(`${(e as Error).message}\n\n${INIT_USAGE}`);
    return 2;
  }
  if (values.help) {
    out(INIT_USAGE);
    return 0;
  }
  if (positionals.length > 1) {
    err(`init: one directory at most, got ${positionals.join(' ')}\n\n${INIT_USAGE}`);
    return 2;
  }
  const dir = resolve(positionals[0] ?? '.');
  let written: string[];
  try {
    written = writeInitFiles(initPlan(dir, values.observability === true));
  } catch (e) {
    err(`${(e as Error).message}\n`);
    return 1;
  }
  // Short paths under the working directory, absolute ones elsewhere (a row of ../ helps nobody).
  const shown = (file: string): string => {
    const rel = relative(process.cwd(), file);
    return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? file : rel;
  };
  const config = shown(join(dir, 'monitor.yaml'));
  out(
    [
      ...written.map((f) => `wrote ${shown(f)}`),
      '',
      `Next: list your rooms in ${config}, set VOLC_ACCESSKEY / VOLC_SECRETKEY (environment or .env), then`,
      `  rtc-room-monitor check-config --config ${config}`,
      `  rtc-room-monitor --config ${config}`,
      ...(values.observability ? [`The scrape config targets monitor:9479 (the compose service name); point it at your daemon.`] : []),
      '',
    ].join('\n'),
  );
  return 0;
}
