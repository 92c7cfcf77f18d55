import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { runDaemon } from './main';
import { DEMO_CREDENTIALS, demoCalls, demoRooms, Simulator } from './simulator';
import { ENV_ACCESS_KEY, ENV_SECRET_KEY } from './volc/credentials';

/**
 * `npm run demo`: the built-in simulator and the daemon in one process, no credentials needed. The
 * simulator listens where config/demo.yaml's api.endpoint points.
 */
async function demo(): Promise<number> {
  const configPath = process.argv[2] ?? join(__dirname, '..', '..', 'config', 'demo.yaml');
  const doc = parseDocument(readFileSync(configPath, 'utf8')).toJS() as {
    api: { endpoint: string };
    server: { host: string; port: number };
    events?: { file?: string };
  };
  const endpoint = new URL(doc.api.endpoint);
  const simulator = new Simulator({
    host: endpoint.hostname,
    port: Number(endpoint.port),
    credentials: DEMO_CREDENTIALS,
    rooms: demoRooms(),
    // Classes start and end while the demo runs; discovery (ListRoomInfo) finds them, retirement ends them.
    calls: demoCalls(Date.now()),
    dataDelayMs: 5000,
  });
  const url = await simulator.start();
  // The simulator only accepts its own public demo pair; never send real credentials to it.
  process.env[ENV_ACCESS_KEY] = DEMO_CREDENTIALS.accessKeyId;
  process.env[ENV_SECRET_KEY] = DEMO_CREDENTIALS.secretAccessKey;

  const base = `http://${doc.server.host}:${doc.server.port}`;
  process.stderr.write(
    [
      '',
      `rtc-room-monitor demo: simulator at ${url}, daemon with ${configPath}`,
      `  metrics:   ${base}/metrics`,
      `  ready:     ${base}/-/ready`,
      `  events:    ${doc.events?.file ?? '(stdout only)'} and stdout`,
      `  simulator: ${url}/_sim/stats`,
      '  Ctrl-C stops both.',
      '',
      '',
    ].join('\n'),
  );
  const code = await runDaemon(configPath);
  await simulator.stop();
  return code;
}

if (require.main === module) {
  demo().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
