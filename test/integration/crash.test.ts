import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Simulator } from '../../src/simulator';
import type { SimRoomSpec } from '../../src/simulator';
import { createRng } from '../../src/simulator/rng';
import { RunningDaemon, startDaemon } from '../support/daemon-process';
import { LoggedEvent, lastServed, replayRoom } from '../support/event-replay';
import { waitFor } from '../support/wait-for';

/**
 * The durability guarantee end to end: the built daemon, polling a churning simulator, is killed with
 * SIGKILL at random moments (inside cycles, between them, during commits and file appends) and restarted,
 * with membership changing while it is down. The events file must then be one consistent log.
 */

const credentials = { accessKeyId: 'AKLTcrash', secretAccessKey: 'crash-secret-never-printed' };
const KILLS = 20;

describe('crash safety (kill -9 at random moments)', () => {
  let dir: string;
  let sim: Simulator | undefined;
  const daemons: RunningDaemon[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rtc-crash-'));
  });
  afterEach(async () => {
    for (const d of daemons.splice(0)) await d.stop();
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`after ${KILLS} kills and restarts the events file is a consistent, gap-free, duplicate-free log`, async () => {
    const rooms: SimRoomSpec[] = ['c1', 'c2', 'c3', 'c4', 'c5', 'c6'].map((roomId, i) => ({
      appId: 'app',
      roomId,
      visible: 6 + i,
      invisible: 2,
      churn: { joinsPerMinute: 240, leavesPerMinute: 240, visibilityChangesPerMinute: 120 },
    }));
    // A room that changes only while the daemon is down, so each of those changes must show up as is.
    rooms.push({ appId: 'app', roomId: 'calm', visible: 3, invisible: 1, churn: { paused: true } });
    sim = new Simulator({ credentials, rooms, recordServed: true, seed: 29 });
    const endpoint = await sim.start();
    const eventsFile = join(dir, 'events.ndjson');
    const config = {
      api: { endpoint, timeoutMs: 800, retryBaseDelayMs: 20, retryMaxDelayMs: 100 },
      rateLimit: { qps: 20 },
      schedule: '*/1 * * * * *',
      state: { file: join(dir, 'state.db') },
      events: { file: eventsFile, log: false },
      rooms: rooms.map((r) => ({ appId: r.appId, roomId: r.roomId })),
    };
    const launch = async (): Promise<RunningDaemon> => {
      const d = await startDaemon({ credentials, config, readyTimeoutMs: 30_000 });
      daemons.push(d);
      return d;
    };
    // Seeded, so a failure can be replayed with the same kill moments.
    const rng = createRng(20261130);
    let daemon = await launch();
    const downtime: string[] = [];
    for (let k = 0; k < KILLS; k++) {
      await new Promise((r) => setTimeout(r, rng.int(1500)));
      process.kill(daemon.process.pid!, 'SIGKILL');
      await daemon.process.waitForExit();
      await daemon.stop();
      daemons.splice(daemons.indexOf(daemon), 1);
      // Changes while it is down, besides the churn that keeps running on the simulator's clock.
      const user = `down-${k}`;
      const visibility = k % 2 === 0 ? 'visible' : 'invisible';
      sim.world.addMember('app', 'calm', user, visibility);
      downtime.push(`join:${user}:${visibility}`);
      if (k % 3 === 2) {
        sim.world.removeMember('app', 'calm', `down-${k - 1}`);
        downtime.push(`leave:down-${k - 1}:${(k - 1) % 2 === 0 ? 'visible' : 'invisible'}`);
      }
      daemon = await launch();
    }

    // Settle: no more churn, two more polls of every room, then a clean stop.
    for (const r of rooms) sim.world.setChurn({ paused: true }, r.appId, r.roomId);
    const targets = rooms.map((r) => sim!.servedSnapshots('app', r.roomId).length + 2);
    await waitFor('two more polls of every room', () => (rooms.every((r, i) => sim!.servedSnapshots('app', r.roomId).length >= targets[i]!) ? true : undefined), { timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 300));
    await daemon.stop();

    const lines = readFileSync(eventsFile, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    const events = lines.map((l) => JSON.parse(l) as LoggedEvent);
    expect(events.length).toBeGreaterThan(KILLS * 5);
    for (let i = 1; i < events.length; i++) {
      if (events[i]!.id <= events[i - 1]!.id) throw new Error(`id ${events[i]!.id} after ${events[i - 1]!.id} at line ${i + 1}`);
    }
    for (const r of rooms) {
      const served = sim.servedSnapshots('app', r.roomId);
      // The first daemon was ready only after its first cycle committed, so served[0] is the baseline.
      expect(replayRoom(served[0]!, events, r.roomId)).toEqual(lastServed(served));
    }
    expect(events.filter((e) => e.roomId === 'calm').map((e) => `${e.type}:${e.userId}:${e.visibility}`)).toEqual(downtime);
  }, 420_000);
});
