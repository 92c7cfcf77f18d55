import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Simulator } from '../../src/simulator';
import { RunningDaemon, startDaemon } from '../support/daemon-process';
import { actualRows, expectedRows, metricValue } from '../support/served-oracle';
import { waitFor } from '../support/wait-for';

/**
 * polling.strategy adaptive, the built daemon against the simulator with skewed churn: 3 busy rooms and
 * 27 quiet ones at qps 3 (a round-robin sweep, R/q, is 10 s; the period is 2 s; the bound 3 × 10 = 30 s).
 * The simulator's record of what it served counts the polls of each room: the busy rooms must be polled
 * more often than the quiet ones, every room within its bound, and the events must still be exactly the
 * differences between what was served.
 */

const QPS = 3;
const BOUND_SECONDS = 3 * (30 / QPS);
const credentials = { accessKeyId: 'AKLTadaptive', secretAccessKey: 'adaptive-secret-never-printed' };

describe('adaptive polling against the simulator', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rtc-adaptive-'));
  const eventsFile = join(dir, 'events.ndjson');
  let sim: Simulator;
  let daemon: RunningDaemon | undefined;

  const busy = Array.from({ length: 3 }, (_, i) => ({ appId: 'app', roomId: `busy-${i}`, visible: 20, invisible: 2, churn: { joinsPerMinute: 60, leavesPerMinute: 60, visibilityChangesPerMinute: 10 } }));
  const quiet = Array.from({ length: 27 }, (_, i) => ({ appId: 'app', roomId: `quiet-${i}`, visible: 3, invisible: 0, churn: { joinsPerMinute: 0.2, leavesPerMinute: 0.2 } }));
  const rooms = [...busy, ...quiet];

  beforeAll(async () => {
    sim = new Simulator({ credentials, rooms, recordServed: true, seed: 11 });
    const endpoint = await sim.start();
    daemon = await startDaemon({
      credentials,
      config: {
        api: { endpoint, timeoutMs: 3000 },
        rateLimit: { qps: QPS },
        schedule: '*/2 * * * * *',
        polling: { strategy: 'adaptive' },
        events: { file: eventsFile, log: false },
        state: { backend: 'memory' },
        rooms: rooms.map((r) => ({ appId: r.appId, roomId: r.roomId })),
      },
    });
  });

  afterAll(async () => {
    await daemon?.stop();
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('polls busy rooms more often than quiet ones, every room within its bound, with exact events', async () => {
    const d = daemon!;
    const served = (roomId: string) => sim.servedSnapshots('app', roomId).map((s) => s.at);
    // 50 s: long enough for the estimates to tell the rooms apart (the first 20 s are left out below) and for
    // every quiet room's bound to pass more than once.
    const start = Date.now();
    await waitFor('50 s of adaptive polling', () => (Date.now() - start >= 50_000 ? true : undefined), { timeoutMs: 70_000 });
    const text = await (await fetch(`${d.url}/metrics`)).text();
    const page = (await (await fetch(`${d.url}/api/rooms?sort=pollIntervalSeconds&order=asc&limit=1000`)).json()) as { rooms: { roomId: string; pollIntervalSeconds: number; changesPerMinute: number }[] };
    await d.stop();
    daemon = undefined;

    // The second half of the run, when the estimates have settled.
    const from = start + 20_000;
    const count = (roomId: string) => served(roomId).filter((t) => t >= from).length;
    const busyCounts = busy.map((r) => count(r.roomId));
    const quietCounts = quiet.map((r) => count(r.roomId));
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(Math.min(...busyCounts)).toBeGreaterThan(Math.max(...quietCounts));
    expect(mean(busyCounts)).toBeGreaterThan(2 * mean(quietCounts));

    // Every room within its bound (after its first poll), with a second for scheduling and limiter jitter.
    for (const r of rooms) {
      const times = served(r.roomId);
      expect(times.length).toBeGreaterThan(1);
      for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeLessThanOrEqual(BOUND_SECONDS * 1000 + 1000);
    }

    // The interval and the change rate are exported and shown: busy rooms first, with the higher rates.
    expect(text).toMatch(/^rtc_polling_info\{strategy="adaptive"\} 1$/m);
    expect(metricValue(text, 'rtc_room_poll_interval_seconds', 'busy-0')).toBeLessThan(metricValue(text, 'rtc_room_poll_interval_seconds', 'quiet-0')!);
    expect(page.rooms.slice(0, 3).map((r) => r.roomId).sort()).toEqual(['busy-0', 'busy-1', 'busy-2']);
    expect(page.rooms[0]!.changesPerMinute).toBeGreaterThan(page.rooms[29]!.changesPerMinute);
    // Sweeps stand in for cycles; no room missed its bound.
    expect(metricValue(text, 'rtc_poll_cycles_total')).toBeGreaterThan(0);
    expect(metricValue(text, 'rtc_poll_cycle_overruns_total')).toBe(0);

    const events = readFileSync(eventsFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    for (const r of rooms) expect(actualRows(events, r.roomId, r.appId)).toEqual(expectedRows(r.roomId, sim.servedSnapshots(r.appId, r.roomId)));
    expect(events.filter((e) => e.roomId?.startsWith('busy')).length).toBeGreaterThan(50);

    const stats = sim.stats();
    expect(stats.throttled).toBe(0);
    expect(stats.maxRequestsInAnyWindow).toBeLessThanOrEqual(QPS + 1);
  }, 90_000);
});
