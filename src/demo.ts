import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseDocument } from 'yaml';
import { runDaemon } from './main';
import { packagePath } from './package-paths';
import { DEMO_CREDENTIALS, demoCalls, demoRooms, Simulator } from './simulator';
import { DEMO_CALLBACK_SECRET } from './simulator/demo-world';
import { ENV_ACCESS_KEY, ENV_SECRET_KEY } from './volc/credentials';

export const DEMO_USAGE = `Usage: rtc-room-monitor demo [--config FILE] [--port P] [--simulator-port P]
  The built-in API simulator and the daemon together, no credentials needed. Default config: the
  package's config/demo.yaml (daemon on 127.0.0.1:9479, simulator on 127.0.0.1:18080). --port and
  --simulator-port move them; the config with the new ports is written to .demo/demo.yaml.
  Events and state go to .demo/ in the working directory.
`;

/** Where the demo's own inputs live: in the package, so the demo runs from any directory. */
export function defaultDemoConfig(): string {
  return packagePath('config', 'demo.yaml');
}

function portArg(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 1 || port > 65535) throw new Error(`${flag}: not a port number: ${value}`);
  return port;
}

/**
 * `rtc-room-monitor demo` (and `npm run demo`): the built-in simulator and the daemon in one process. The
 * simulator listens where the config's api.endpoint points. Resolves with the daemon's exit code.
 */
export async function runDemo(argv: string[], log: (s: string) => void = (s) => process.stderr.write(s)): Promise<number> {
  let values: { config?: string; port?: string; 'simulator-port'?: string; help?: boolean };
  let port: number | undefined;
  let simulatorPort: number | undefined;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { config: { type: 'string', short: 'c' }, port: { type: 'string' }, 'simulator-port': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }));
    port = portArg('--port', values.port);
    simulatorPort = portArg('--simulator-port', values['simulator-port']);
  } catch (err) {
    log(`${(err as Error).message}\n\n${DEMO_USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(DEMO_USAGE);
    return 0;
  }

  const sourcePath = values.config ?? defaultDemoConfig();
  const doc = parseDocument(readFileSync(sourcePath, 'utf8'));
  const endpoint = new URL(String(doc.getIn(['api', 'endpoint'])));
  let configPath = sourcePath;
  if (port !== undefined || simulatorPort !== undefined) {
    // The daemon reads (and reloads on SIGHUP) a file, so the ports are changed in a copy: the package's
    // own demo.yaml may sit in a read-only global install.
    if (port !== undefined) doc.setIn(['server', 'port'], port);
    if (simulatorPort !== undefined) {
      endpoint.port = String(simulatorPort);
      doc.setIn(['api', 'endpoint'], endpoint.origin);
    }
    mkdirSync('.demo', { recursive: true });
    configPath = join('.demo', 'demo.yaml');
    writeFileSync(configPath, `# Written by rtc-room-monitor demo from ${sourcePath}, with the ports given on its command line.\n${doc.toString()}`);
  }

  const base = `http://${String(doc.getIn(['server', 'host']))}:${String(doc.getIn(['server', 'port']))}`;
  // With a callbacks section the simulator pushes a signed callback for every change, as the vendor does,
  // a little late and now and then lost (the sweep repairs those): events appear within a second.
  const callbackPath = doc.has('callbacks') ? String(doc.getIn(['callbacks', 'path']) ?? '/callbacks/rtc') : undefined;
  if (callbackPath !== undefined) process.env.RTC_CALLBACK_SECRET = DEMO_CALLBACK_SECRET;
  const simulator = new Simulator({
    host: endpoint.hostname,
    port: Number(endpoint.port),
    credentials: DEMO_CREDENTIALS,
    rooms: demoRooms(),
    // Classes start and end while the demo runs; discovery (ListRoomInfo) finds them, retirement ends them.
    calls: demoCalls(Date.now()),
    dataDelayMs: 5000,
    callbacks: callbackPath === undefined ? undefined : { url: `${base}${callbackPath}`, secret: DEMO_CALLBACK_SECRET, delayMaxMs: 300, lossProbability: 0.02 },
  });
  const url = await simulator.start();
  // The simulator only accepts its own public demo pair; never send real credentials to it.
  process.env[ENV_ACCESS_KEY] = DEMO_CREDENTIALS.accessKeyId;
  process.env[ENV_SECRET_KEY] = DEMO_CREDENTIALS.secretAccessKey;

  const eventsFile = doc.getIn(['events', 'file']);
  log(
    [
      '',
      `rtc-room-monitor demo: simulator at ${url}, daemon with ${configPath}`,
      `  status:    ${base}/`,
      `  metrics:   ${base}/metrics`,
      `  ready:     ${base}/-/ready`,
      `  events:    ${eventsFile === undefined ? '(stdout only)' : String(eventsFile)} and stdout`,
      `  simulator: ${url}/_sim/stats`,
      ...(callbackPath === undefined ? [] : [`  callbacks: the simulator posts its room callbacks to ${base}${callbackPath} (events within a second; polls repair lost ones)`]),
      '  Ctrl-C stops both.',
      '',
      '',
    ].join('\n'),
  );
  try {
    return await runDaemon(configPath);
  } finally {
    await simulator.stop();
  }
}
