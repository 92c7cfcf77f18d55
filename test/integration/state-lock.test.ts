import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { Simulator } from '../../src/simulator';
import { RunningDaemon, startDaemon } from '../support/daemon-process';
import { DAEMON_CLI } from '../support/repo-paths';
import { SpawnedProcess } from '../support/spawned-process';

/**
 * Issue #18, defect 11: a state database another live process has open is refused with a clear error,
 * while the `events` command keeps reading it; a lock left by a killed process does not block a restart.
 */

const credentials = { accessKeyId: 'AKLTlock', secretAccessKey: 'lock-secret-never-printed' };

describe('one state.file, one daemon', () => {
  let dir: string;
  let sim: Simulator;
  let first: RunningDaemon | undefined;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rtc-state-lock-'));
    sim = new Simulator({ credentials, rooms: [{ appId: 'app', roomId: 'r', visible: 2, invisible: 0, churn: { paused: true } }], seed: 3 });
  });
  afterEach(async () => {
    await first?.stop();
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a second daemon on the same state.file exits non-zero naming state.file; `events` still reads it; a kill -9 frees it', async () => {
    const endpoint = await sim.start();
    const stateFile = join(dir, 'shared.db');
    const config = { api: { endpoint, timeoutMs: 800 }, schedule: '*/1 * * * * *', state: { file: stateFile }, events: { log: false }, rooms: [{ appId: 'app', roomId: 'r' }] };
    first = await startDaemon({ credentials, config });

    const secondConfig = join(dir, 'second.yaml');
    writeFileSync(secondConfig, stringify({ ...config, server: { host: '127.0.0.1', port: 0 } }));
    const env = { PATH: process.env.PATH ?? '', VOLC_ACCESSKEY: credentials.accessKeyId, VOLC_SECRETKEY: credentials.secretAccessKey };
    const second = new SpawnedProcess('second', process.execPath, [DAEMON_CLI, '--config', secondConfig], { cwd: dir, env });
    const exited = await Promise.race([second.waitForExit().then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 15_000))]);
    if (!exited) await second.stop();
    expect(exited).toBe(true);
    expect(second.exitStatus()?.code).not.toBe(0);
    expect(second.output()).toContain(`state.file: ${stateFile}`);
    expect(second.output()).toMatch(/in use by another running process/);

    // The events command reads the database while the daemon runs (read-only, no lock needed).
    const events = spawnSync(process.execPath, [DAEMON_CLI, 'events', '--config', secondConfig], { cwd: dir, env, encoding: 'utf8' });
    expect(events.status).toBe(0);

    // kill -9 leaves no lock behind: the operating system releases it with the process.
    process.kill(first.process.pid!, 'SIGKILL');
    await first.process.waitForExit();
    await first.stop();
    first = await startDaemon({ credentials, config });
    expect(first.process.running).toBe(true);
  }, 60_000);
});
