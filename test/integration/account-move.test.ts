import { readFileSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { parse, stringify } from 'yaml';
import { Simulator } from '../../src/simulator';
import { RunningDaemon, startDaemon } from '../support/daemon-process';
import { waitFor } from '../support/wait-for';

/**
 * A reload that moves a room to another account: the daemon polls it from then on with that account's
 * key and endpoint. Two simulators stand for two accounts (each accepts only its own key pair) and hold
 * the same room with the same members, so the move itself must produce no event.
 */

const cn = { accessKeyId: 'AKLTcnaccount', secretAccessKey: 'cn-secret-never-printed' };
const eu = { accessKeyId: 'AKLTeuaccount', secretAccessKey: 'eu-secret-never-printed' };
const room = { appId: 'app', roomId: 'moving', visible: 3, churn: { paused: true } };

describe('a reload that moves a room to another account', () => {
  let cnSim: Simulator;
  let euSim: Simulator;
  let daemon: RunningDaemon | undefined;
  let cnUrl: string;
  let euUrl: string;

  beforeAll(async () => {
    cnSim = new Simulator({ credentials: cn, recordServed: true, rooms: [room] });
    euSim = new Simulator({ credentials: eu, recordServed: true, rooms: [room] });
    [cnUrl, euUrl] = await Promise.all([cnSim.start(), euSim.start()]);
  });
  afterAll(async () => {
    await daemon?.stop();
    await Promise.all([cnSim?.stop(), euSim?.stop()]);
  });

  it('polls the room with the new account\'s key and endpoint, without events', async () => {
    const served = (sim: Simulator): number => sim.servedSnapshots('app', 'moving').length;
    daemon = await startDaemon({
      credentials: { accessKeyId: 'AKLTunused', secretAccessKey: 'unused-default-secret' },
      env: { LOG_LEVEL: 'info', CN_AK: cn.accessKeyId, CN_SK: cn.secretAccessKey, EU_AK: eu.accessKeyId, EU_SK: eu.secretAccessKey },
      config: {
        api: { endpoint: cnUrl },
        accounts: [
          { name: 'cn', accessKeyEnv: 'CN_AK', secretKeyEnv: 'CN_SK', api: { endpoint: cnUrl } },
          { name: 'eu', accessKeyEnv: 'EU_AK', secretKeyEnv: 'EU_SK', api: { endpoint: euUrl } },
        ],
        schedule: '*/1 * * * * *',
        events: { log: false, file: 'events.jsonl' },
        rooms: [{ appId: 'app', roomId: 'moving', account: 'cn' }],
      },
    });
    await waitFor('two polls through the first account', () => (served(cnSim) >= 2 ? true : undefined), { timeoutMs: 15_000 });
    expect(served(euSim)).toBe(0);

    const config = parse(readFileSync(daemon.configFile, 'utf8')) as { rooms: { account: string }[] };
    config.rooms[0]!.account = 'eu';
    writeFileSync(daemon.configFile, stringify(config));
    daemon.process.signal('SIGHUP');
    await waitFor('the reload', () => (daemon!.process.output().includes('config reloaded') ? true : undefined));
    await waitFor('two polls through the second account', () => (served(euSim) >= 2 ? true : undefined), { timeoutMs: 15_000 });
    const cnAfter = served(cnSim);
    await waitFor('two more polls', () => (served(euSim) >= 4 ? true : undefined), { timeoutMs: 15_000 });
    // The first account's simulator (its key, its endpoint) hears nothing more of the room.
    expect(served(cnSim)).toBe(cnAfter);
    for (const sim of [cnSim, euSim]) expect(sim.stats().signatureFailures).toBe(0);
    // Same room, same members: the move is not a membership change.
    const events = readFileSync(join(dirname(daemon.configFile), 'events.jsonl'), 'utf8').trim();
    expect(events).toBe('');
  }, 60_000);
});
