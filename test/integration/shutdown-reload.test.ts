import { readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { Simulator } from '../../src/simulator';
import { startDaemon } from '../support/daemon-process';
import { waitFor } from '../support/wait-for';

/** shutdown.timeoutMs is documented as restart-only, like server, events and state: a reload must not change it. */
describe('shutdown.timeoutMs on reload', () => {
  const credentials = { accessKeyId: 'AKLTshutdown', secretAccessKey: 'shutdown-secret' };

  it('keeps the start-up shutdown deadline after a reload that changes it, and says so', async () => {
    const sim = new Simulator({ credentials, rooms: [{ appId: 'app', roomId: 'r', visible: 1, invisible: 0 }] });
    const endpoint = await sim.start();
    const daemon = await startDaemon({
      credentials,
      env: { LOG_LEVEL: 'info' },
      config: { api: { endpoint }, schedule: '*/5 * * * * *', shutdown: { timeoutMs: 700 }, events: { log: false }, rooms: [{ appId: 'app', roomId: 'r' }] },
    });
    try {
      const config = parse(readFileSync(daemon.configFile, 'utf8')) as Record<string, unknown>;
      writeFileSync(daemon.configFile, stringify({ ...config, shutdown: { timeoutMs: 30_000 } }));
      daemon.process.signal('SIGHUP');
      await waitFor('the reload', () => (daemon.process.output().includes('config reloaded') ? true : undefined));
      expect(daemon.process.output()).toMatch(/"keys":\["shutdown"\].*change only on restart/);
    } finally {
      await daemon.stop();
      await sim.stop();
    }
    expect(daemon.process.output()).toMatch(/"timeoutMs":700,"msg":"shutting down"/);
  }, 60_000);
});
