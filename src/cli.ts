#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { config as loadDotenv } from 'dotenv';
import { ConfigError } from './config/load';
import type { Config } from './config/schema';
import { preflight } from './preflight';
import { ForeignFileError } from './store/store-file';
import { packageVersion } from './version';

export const DEFAULT_CONFIG = 'config/monitor.yaml';

const USAGE = `Usage:
  rtc-room-monitor [run] [--config FILE] [--web.config.file=FILE] [--web.enable-lifecycle]
                                                  run the daemon (default config: ${DEFAULT_CONFIG})
  rtc-room-monitor check-config [--config FILE] [--web.config.file=FILE] [--skip-credentials]
                                                  check what run checks before it starts (config,
                                                  api.caFile, LOG_LEVEL, every account's key pair,
                                                  state.file, the web config) and exit (0 = valid);
                                                  --skip-credentials for CI linting
  rtc-room-monitor events [--after ID] [--limit N] [--config FILE]
                                                  print committed events with id > ID as NDJSON
  rtc-room-monitor simulator [--host H] [--port P] [--config FILE] [--tls-cert PEM --tls-key PEM]
                                                  run the built-in API simulator
  rtc-room-monitor demo [--config FILE] [--port P] [--simulator-port P]
                                                  the simulator and the daemon together, no
                                                  credentials needed (default: the package's
                                                  config/demo.yaml, status page on 127.0.0.1:9479)
  rtc-room-monitor init [DIR] [--observability]   write a starter monitor.yaml (and with
                                                  --observability the Prometheus scrape config,
                                                  rules and Grafana dashboards) into DIR; never
                                                  overwrites a file
  rtc-room-monitor --version | --help

Environment: VOLC_ACCESSKEY, VOLC_SECRETKEY (also read from .env), LOG_LEVEL, RTC_WEBHOOK_SECRET,
HTTPS_PROXY / HTTP_PROXY / NO_PROXY (proxy for the vendor API).
`;

/** Argument parsing and dispatch; resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === 'simulator') {
    const { runSimulator } = await import('./simulator/cli');
    await runSimulator(rest);
    return 0;
  }
  if (first === 'demo') {
    const { runDemo } = await import('./demo');
    return runDemo(rest);
  }
  if (first === 'init') {
    const { runInit } = await import('./init');
    return runInit(rest, (s) => process.stdout.write(s), (s) => process.stderr.write(s));
  }
  const command = first === 'run' || first === 'check-config' || first === 'events' ? first : 'run';
  const args = command === first ? rest : argv;

  let values: { config?: string; help?: boolean; version?: boolean; 'web.config.file'?: string; 'web.enable-lifecycle'?: boolean; 'skip-credentials'?: boolean; after?: string; limit?: string };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        config: { type: 'string', short: 'c' },
        // Prometheus' flag names, dots included: --web.config.file=FILE or --web.config.file FILE.
        'web.config.file': { type: 'string' },
        'web.enable-lifecycle': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
        'skip-credentials': { type: 'boolean' },
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
  if (values['skip-credentials'] && command !== 'check-config') {
    process.stderr.write(`--skip-credentials: only for check-config; run always needs the key pair\n\n${USAGE}`);
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
  const webConfigFile = values['web.config.file'];
  if (webConfigFile === '') {
    process.stderr.write(`--web.config.file: must name a file\n\n${USAGE}`);
    return 2;
  }

  if (values.config === undefined && command !== 'events' && !existsSync(DEFAULT_CONFIG)) {
    // The usual first run after `npm install -g`: no checkout, so no config/ directory either.
    process.stderr.write(`no config at ${DEFAULT_CONFIG} (relative to ${process.cwd()}): pass --config FILE, or write a starter one with rtc-room-monitor init\n`);
    return command === 'check-config' ? 1 : 2;
  }

  if (command === 'events') {
    const { printEvents } = await import('./events-cli');
    return printEvents(configPath, values.after, values.limit, (s) => process.stdout.write(s), (s) => process.stderr.write(s));
  }
  if (command === 'check-config') {
    let failed = false;
    try {
      loadDotenv({ quiet: true }); // as run does: the real environment wins over .env
      const cfg = preflight(configPath, process.env, { skipCredentials: values['skip-credentials'] }).config;
      process.stdout.write(`${configPath}: OK (${summarize(cfg)})\n`);
    } catch (err) {
      process.stderr.write(`${err instanceof ConfigError || err instanceof ForeignFileError ? err.message : `error: ${(err as Error).message}`}\n`);
      failed = true;
    }
    if (webConfigFile !== undefined) {
      try {
        const { loadWebConfigFile } = await import('./http/web-config-file');
        const web = loadWebConfigFile(webConfigFile).config;
        process.stdout.write(`${webConfigFile}: OK (${web.tls ? `TLS, client_auth_type ${web.tls.clientAuthType}` : 'no TLS'}, ${Object.keys(web.users).length} basic auth user(s))\n`);
      } catch (err) {
        process.stderr.write(`${err instanceof ConfigError ? err.message : String(err)}\n`);
        failed = true;
      }
    }
    return failed ? 1 : 0;
  }
  const { runDaemon } = await import('./main');
  return runDaemon(configPath, { webConfigFile, enableLifecycle: values['web.enable-lifecycle'] === true });
}

/** What check-config says a valid config watches: fixed rooms, the rate per account, discovery. */
function summarize(cfg: Config): string {
  const parts = [`${cfg.rooms.length} room(s)`];
  parts.push(cfg.accounts ? `accounts ${cfg.accounts.map((a) => `${a.name} (qps ${a.rateLimit.qps})`).join(', ')}` : `qps ${cfg.rateLimit.qps}`);
  parts.push(`schedule "${cfg.schedule}"`);
  const d = cfg.discovery;
  const sources = [d.listRoomInfo && `listRoomInfo ${d.listRoomInfo.apps.length} app(s)`, d.files && `files ${d.files.length} glob(s)`, d.http && `http ${d.http.length} endpoint(s)`].filter(Boolean);
  if (sources.length > 0) parts.push(`discovery: ${sources.join(', ')}`);
  return parts.join(', ');
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
