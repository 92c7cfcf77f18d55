#!/usr/bin/env node
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfigFile } from './config/load';
import { classifyStoreFile, ForeignFileError } from './store/store-file';
import { packageVersion } from './version';

export const DEFAULT_CONFIG = 'config/monitor.yaml';

const USAGE = `Usage:
  rtc-room-monitor [run] [--config FILE]          run the daemon (default config: ${DEFAULT_CONFIG})
  rtc-room-monitor check-config [--config FILE]   validate the config and exit (0 = valid)
  rtc-room-monitor events [--after ID] [--limit N] [--config FILE]
                                                  print committed events with id > ID as NDJSON
  rtc-room-monitor simulator [--host H] [--port P] [--config FILE]
                                                  run the built-in API simulator
  rtc-room-monitor --version | --help

Environment: VOLC_ACCESSKEY, VOLC_SECRETKEY (also read from .env), LOG_LEVEL, RTC_WEBHOOK_SECRET.
`;

/** Argument parsing and dispatch; resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === 'simulator') {
    const { runSimulator } = await import('./simulator/cli');
    await runSimulator(rest);
    return 0;
  }
  const command = first === 'run' || first === 'check-config' || first === 'events' ? first : 'run';
  const args = command === first ? rest : argv;

  let values: { config?: string; help?: boolean; version?: boolean; after?: string; limit?: string };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        config: { type: 'string', short: 'c' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
        after: { type: 'string' },
        limit: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (command !== 'events' && (values.after !== undefined || values.limit !== undefined)) {
    process.stderr.write(`--after and --limit belong to the events command\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (values.version) {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  const configPath = values.config ?? DEFAULT_CONFIG;

  if (command === 'events') {
    const { printEvents } = await import('./events-cli');
    return printEvents(configPath, values.after, values.limit, (s) => process.stdout.write(s), (s) => process.stderr.write(s));
  }
  if (command === 'check-config') {
    try {
      const cfg = loadConfigFile(configPath);
      // Read-only: a state.file that names some other file is reported here, before a run refuses it.
      if (cfg.state.backend === 'sqlite' && classifyStoreFile(resolve(cfg.state.file)) === 'foreign') {
        throw new ForeignFileError(cfg.state.file, 'it is not a SQLite database');
      }
      process.stdout.write(`${configPath}: OK (${cfg.rooms.length} room(s), qps ${cfg.rateLimit.qps}, schedule "${cfg.schedule}")\n`);
      return 0;
    } catch (err) {
      process.stderr.write(`${err instanceof ConfigError || err instanceof ForeignFileError ? err.message : String(err)}\n`);
      return 1;
    }
  }
  const { runDaemon } = await import('./main');
  return runDaemon(configPath);
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`fatal: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
