import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEMO_CREDENTIALS, demoCalls, demoRooms } from './demo-world';
import { loadSimConfig, SimConfigFile } from './sim-config';
import { SimCredentials, Simulator, SimulatorOptions } from './simulator';

/**
 * `node dist/src/simulator/cli.js [--host H] [--port P] [--config FILE]`: the simulator on its own,
 * for the demo and docker-compose. Runs until SIGINT/SIGTERM (or the optional signal aborts).
 */

const USAGE = `usage: rtc-simulator [--host 127.0.0.1] [--port 8080] [--config simulator.yaml]
                     [--tls-cert cert.pem --tls-key key.pem]   (serve HTTPS, like the real API)
                     [--callback-url URL [--callback-secret S]]  (push a signed room callback per change;
                      the secret defaults to RTC_CALLBACK_SECRET; the config's callbacks: sets delay and loss)
Accepts the key pair in VOLC_ACCESSKEY / VOLC_SECRETKEY, or the public demo pair when both are unset.`;

export interface RunOptions {
  /** Stops the simulator when aborted (tests); signals do the same for a real process. */
  signal?: AbortSignal;
  log?: (line: string) => void;
}

function credentialsFromEnv(env: NodeJS.ProcessEnv): SimCredentials {
  const accessKeyId = env.VOLC_ACCESSKEY;
  const secretAccessKey = env.VOLC_SECRETKEY;
  if (!accessKeyId && !secretAccessKey) return { ...DEMO_CREDENTIALS };
  if (!accessKeyId || !secretAccessKey) throw new Error('set both VOLC_ACCESSKEY and VOLC_SECRETKEY, or neither');
  return { accessKeyId, secretAccessKey };
}

function readPem(file: string, flag: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new Error(`${flag}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

export async function runSimulator(argv: string[], run: RunOptions = {}): Promise<void> {
  const log = run.log ?? ((line: string) => console.log(line));
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '8080' },
      config: { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'callback-url': { type: 'string' },
      'callback-secret': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return log(USAGE);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: not a port number: ${values.port}`);

  const certFile = values['tls-cert'];
  const keyFile = values['tls-key'];
  if ((certFile === undefined) !== (keyFile === undefined)) throw new Error('--tls-cert and --tls-key: give both, or neither');
  const tls = certFile !== undefined && keyFile !== undefined ? { cert: readPem(certFile, '--tls-cert'), key: readPem(keyFile, '--tls-key') } : undefined;

  const credentials = credentialsFromEnv(process.env);
  const world = values.config ? loadSimConfig(values.config) : { rooms: demoRooms(), calls: demoCalls(Date.now()), dataDelayMs: 5000 };
  const { callbacks: pushConfig, ...worldOnly } = world as SimConfigFile;
  const callbackUrl = values['callback-url'] ?? pushConfig?.url;
  let callbacks: SimulatorOptions['callbacks'];
  if (callbackUrl !== undefined) {
    const secret = values['callback-secret'] ?? process.env.RTC_CALLBACK_SECRET;
    if (!secret) throw new Error('--callback-url: needs --callback-secret or RTC_CALLBACK_SECRET');
    callbacks = { ...pushConfig, url: callbackUrl, secret };
  }
  const options: SimulatorOptions = { ...worldOnly, credentials, host: values.host, port, tls, callbacks };
  const sim = new Simulator(options);
  const url = await sim.start();
  log(`rtc simulator listening on ${url} (${sim.world.roomCount} rooms, access key ${credentials.accessKeyId})`);
  if (callbacks) log(`pushing room callbacks to ${callbacks.url}`);
  log(`control endpoints: ${url}/_sim/stats, ${url}/_sim/rooms, POST ${url}/_sim/faults, POST ${url}/_sim/churn`);

  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      run.signal?.removeEventListener('abort', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    if (run.signal?.aborted) stop();
    else run.signal?.addEventListener('abort', stop, { once: true });
  });
  await sim.stop();
  log('rtc simulator stopped');
}

if (require.main === module) {
  runSimulator(process.argv.slice(2)).catch((err: unknown) => {
    const badArgs = (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS') ?? false;
    console.error(err instanceof Error ? err.message : String(err));
    if (badArgs) console.error(USAGE);
    process.exitCode = badArgs ? 2 : 1;
  });
}
