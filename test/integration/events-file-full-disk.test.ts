import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Simulator } from '../../src/simulator';
import type { SimRoomSpec } from '../../src/simulator';
import { RunningDaemon, startDaemon } from '../support/daemon-process';
import type { LoggedEvent } from '../support/event-replay';
import { waitFor } from '../support/wait-for';
import { fillDisk, mountTmpfs } from '../support/tmpfs';

/**
 * Issue #18 defect 2 end to end: the events file on a 64 KiB tmpfs that fills up while the daemon runs
 * (a batch is written in part, then ENOSPC) and is freed again. The daemon must keep committing, count
 * the failed writes, and once there is room write every event exactly once: no cut line, no repeated id.
 * Mounting needs root; without it the test is skipped with a message (the unit tests in
 * test/sinks/event-file-sink-partial.test.ts cover the same logic with a fake disk).
 */

const credentials = { accessKeyId: 'AKLTdiskfull', secretAccessKey: 'disk-full-secret-never-printed' };


/** Every line of the file as an event; throws on a line that is not whole JSON. */
function fileEvents(file: string): LoggedEvent[] {
  const text = readFileSync(file, 'utf8');
  if (text !== '' && !text.endsWith('\n')) throw new Error('the file ends in a cut line');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as LoggedEvent);
}

/** Complete lines so far (while the daemon writes: a read may catch a batch half way). */
const lineCount = (file: string): number => readFileSync(file, 'utf8').split('\n').length - 1;

const sinkErrors = (metrics: string): number => {
  const line = metrics.split('\n').find((l) => l.startsWith('rtc_event_sink_errors_total{sink="file"}'));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
};

describe('the events file on a disk that fills up and is freed', () => {
  let dir: string;
  let disk: string;
  let mounted = false;
  let sim: Simulator | undefined;
  let daemon: RunningDaemon | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rtc-disk-full-'));
    disk = join(dir, 'disk');
    mkdirSync(disk);
    mounted = mountTmpfs(disk, 'the full-disk test');
  });
  afterEach(async () => {
    await daemon?.stop();
    await sim?.stop();
    // Lazy: the daemon may still be closing the file when a failed test gets here.
    if (mounted) execFileSync('umount', ['-l', disk]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps committing while the disk is full, then writes every event once, in order, with no cut line', async () => {
    if (!mounted) return;
    const rooms: SimRoomSpec[] = ['d1', 'd2', 'd3'].map((roomId) => ({
      appId: 'app',
      roomId,
      visible: 8,
      invisible: 2,
      churn: { joinsPerMinute: 600, leavesPerMinute: 600, visibilityChangesPerMinute: 120 },
    }));
    sim = new Simulator({ credentials, rooms, seed: 18 });
    const endpoint = await sim.start();
    const eventsFile = join(disk, 'events.ndjson');
    daemon = await startDaemon({
      credentials,
      readyTimeoutMs: 30_000,
      config: {
        api: { endpoint, timeoutMs: 800 },
        rateLimit: { qps: 10 },
        schedule: '*/1 * * * * *',
        state: { file: join(dir, 'state.db') },
        events: { file: eventsFile, log: false },
        rooms: rooms.map((r) => ({ appId: r.appId, roomId: r.roomId })),
      },
    });
    const url = daemon.url;
    const lastId = async (): Promise<number> => ((await (await fetch(`${url}/api/events?after=0&limit=1`)).json()) as { lastId: number }).lastId;
    await waitFor('a few events in the file', () => (lineCount(eventsFile) >= 5 ? true : undefined), { timeoutMs: 30_000 });

    // Fill every free block; what is left is the unused tail of the file's last block.
    const filler = fillDisk(disk);
    const full = lineCount(eventsFile);
    await waitFor('file writes to fail', async () => (sinkErrors(await (await fetch(`${url}/metrics`)).text()) > 0 ? true : undefined), { timeoutMs: 30_000 });
    // Commits go on meanwhile: the log grows past what the file could take.
    const committed = await lastId();
    await waitFor('more events committed while the disk is full', async () => ((await lastId()) > committed + 20 ? true : undefined), { timeoutMs: 30_000 });
    // The file stayed within its last block meanwhile: the disk really was full.
    expect(lineCount(eventsFile)).toBeLessThan(full + 40);

    rmSync(filler, { recursive: true });
    for (const r of rooms) sim.world.setChurn({ paused: true }, r.appId, r.roomId);
    await new Promise((r) => setTimeout(r, 2500)); // the last polls of the churn commit
    const target = await lastId();
    await waitFor('the file to catch up', () => (fileEvents(eventsFile).at(-1)?.id === target ? true : undefined), { timeoutMs: 30_000 });
    await daemon.stop();
    daemon = undefined;

    const ids = fileEvents(eventsFile).map((e) => e.id);
    expect(ids[0]).toBe(1);
    for (let i = 1; i < ids.length; i++) {
      if (ids[i] !== ids[i - 1]! + 1) throw new Error(`id ${ids[i]} after ${ids[i - 1]}: ids must be gap-free and never repeated`);
    }
    expect(ids.at(-1)).toBe(target);
  }, 120_000);
});
