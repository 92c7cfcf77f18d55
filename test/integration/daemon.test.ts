import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Simulator } from '../../src/simulator';
import { RunningDaemon, startDaemon } from '../support/daemon-process';
import { actualRows, expectedRows, metricValue } from '../support/served-oracle';
import { waitFor } from '../support/wait-for';

/**
 * The built daemon against the built-in simulator on loopback. The oracle is the simulator's record of
 * every snapshot it served: the events must be exactly the differences between consecutive served
 * snapshots of each room, computed here independently of src/rooms.
 */

const QPS = 6;
const credentials = { accessKeyId: 'AKLTintegration', secretAccessKey: 'integration-secret-never-printed' };

async function metrics(daemon: RunningDaemon): Promise<string> {
  return (await fetch(`${daemon.url}/metrics`)).text();
}

describe('daemon against the simulator', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rtc-int-'));
  const eventsFile = join(dir, 'events.ndjson');
  let sim: Simulator;
  let daemon: RunningDaemon | undefined;

  const rooms = [
    { appId: 'app-a', roomId: 'churny-1', visible: 10, invisible: 2, churn: { joinsPerMinute: 90, leavesPerMinute: 90, visibilityChangesPerMinute: 30 } },
    { appId: 'app-a', roomId: 'churny-2', visible: 25, invisible: 4, churn: { joinsPerMinute: 60, leavesPerMinute: 70, visibilityChangesPerMinute: 20 } },
    { appId: 'app-a', roomId: 'closer', visible: 4, invisible: 1, churn: { joinsPerMinute: 30, leavesPerMinute: 30, closeProbabilityPerMinute: 0.9, reopenProbabilityPerMinute: 0.95 } },
    { appId: 'app-a', roomId: 'ghost', exists: false, churn: { paused: true } },
    { appId: 'app-b', roomId: 'scripted', visible: 3, invisible: 1, churn: { paused: true } },
    // Static rooms so that one cycle (12 rooms at 6 qps) outlasts the 1 s schedule: the limiter runs at its
    // cap, cycles overrun and coalesce, and the window check below is a real test of the limiter.
    ...Array.from({ length: 7 }, (_, i) => ({ appId: 'app-c', roomId: `static-${i}`, visible: 2, invisible: 0, churn: { paused: true } })),
  ];

  beforeAll(async () => {
    sim = new Simulator({ credentials, rooms, recordServed: true, seed: 7 });
    const endpoint = await sim.start();
    daemon = await startDaemon({
      credentials,
      env: { LOG_LEVEL: 'info' },
      config: {
        api: { endpoint, timeoutMs: 3000 },
        rateLimit: { qps: QPS },
        schedule: '*/1 * * * * *',
        events: { file: eventsFile, log: false },
        rooms: rooms.map((r) => ({ appId: r.appId, roomId: r.roomId, ...(r.roomId === 'churny-1' ? { capacity: 40 } : {}) })),
      },
    });
  });

  afterAll(async () => {
    await daemon?.stop();
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const servedCount = (roomId: string, appId = 'app-a'): number => sim.servedSnapshots(appId, roomId).length;
  const waitForPolls = async (n: number, roomId: string, appId = 'app-a'): Promise<void> => {
    const target = servedCount(roomId, appId) + n;
    await waitFor(`${n} more polls of ${roomId}`, () => (servedCount(roomId, appId) >= target ? true : undefined), { timeoutMs: 20_000 });
  };

  it('serves /metrics, health and readiness, and the status page', async () => {
    const d = daemon!;
    expect((await fetch(`${d.url}/-/healthy`)).status).toBe(200);
    expect((await fetch(`${d.url}/-/ready`)).status).toBe(200);
    expect(await (await fetch(`${d.url}/`)).text()).toContain('<a href="metrics">');
    const res = await fetch(`${d.url}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(metricValue(text, 'rtc_room_capacity', 'churny-1')).toBe(40);
    expect(metricValue(text, 'rtc_room_capacity', 'churny-2')).toBeUndefined();
    expect(metricValue(text, 'rtc_room_exists', 'ghost')).toBe(0);
    expect(text).toMatch(/^rtc_ratelimit_qps\{account="default"\} 6$/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
  });

  it('reports scripted joins, leaves, visibility changes and a room closing', async () => {
    const before = sim.world.snapshot('app-b', 'scripted');
    const [v1, v2] = before.visible;
    const [i1] = before.invisible;
    sim.world.addMember('app-b', 'scripted', 'newcomer', 'visible');
    sim.world.removeMember('app-b', 'scripted', v1!);
    sim.world.setVisibility('app-b', 'scripted', v2!, 'invisible');
    await waitForPolls(2, 'scripted', 'app-b');
    sim.world.closeRoom('app-b', 'scripted');
    await waitForPolls(2, 'scripted', 'app-b');
    const text = await metrics(daemon!);
    expect(metricValue(text, 'rtc_room_exists', 'scripted')).toBe(0);
    expect(metricValue(text, 'rtc_room_total_users', 'scripted')).toBe(0);
    expect(metricValue(text, 'rtc_room_user_joins_total', 'scripted')).toBe(1);
    expect(metricValue(text, 'rtc_room_visibility_changes_total', 'scripted')).toBe(1);
    // One leave before the close, then all four remaining members (newcomer, v2, the third visible, i1).
    expect(metricValue(text, 'rtc_room_user_leaves_total', 'scripted')).toBe(5);
    expect(i1).toBeDefined();
  });

  it('emits exactly the changes the simulator served, keeps gauges at the last served values, and stays under the cap', async () => {
    await waitForPolls(6, 'churny-1');
    // Freeze the world, then let every room be polled twice more so the last served values are final.
    sim.world.setChurn({ paused: true });
    for (const r of rooms) sim.world.setChurn({ paused: true }, r.appId, r.roomId);
    await Promise.all(rooms.map((r) => waitForPolls(2, r.roomId, r.appId)));

    const text = await metrics(daemon!);
    for (const r of rooms) {
      const served = sim.servedSnapshots(r.appId, r.roomId);
      const last = served[served.length - 1]!;
      expect([r.roomId, metricValue(text, 'rtc_room_total_users', r.roomId)]).toEqual([r.roomId, last.exists ? last.totalUser : 0]);
      expect([r.roomId, metricValue(text, 'rtc_room_total_invisible_users', r.roomId)]).toEqual([r.roomId, last.exists ? last.totalInvisibleUser : 0]);
      expect([r.roomId, metricValue(text, 'rtc_room_exists', r.roomId)]).toEqual([r.roomId, last.exists ? 1 : 0]);
      expect(metricValue(text, 'rtc_room_up', r.roomId)).toBe(1);
    }

    const d = daemon!;
    // The pull API serves the same log the file was written from, page by page.
    const pulled: Record<string, unknown>[] = [];
    for (let after = 0; ; ) {
      const page = (await (await fetch(`${d.url}/api/events?after=${after}&limit=50`)).json()) as { events: Record<string, unknown>[] };
      if (page.events.length === 0) break;
      pulled.push(...page.events);
      after = page.events[page.events.length - 1]!.id as number;
    }
    await d.stop();
    daemon = undefined;
    const output = d.process.output();
    expect(output).toContain('"msg":"stopped"');
    expect(output).not.toContain(credentials.secretAccessKey);

    const lines = readFileSync(eventsFile, 'utf8').trim().split('\n');
    const events = lines.map((l) => JSON.parse(l) as Record<string, string>);
    for (const e of events) {
      expect(Object.keys(e).sort()).toEqual(['appId', 'id', 'roomId', 'source', 'time', 'type', 'userId', 'visibility']);
      expect(new Date(e.time!).toISOString()).toBe(e.time);
      expect(e.source).toBe('poll');
    }
    expect(events).toEqual(pulled);
    // Ids: positive integers, strictly increasing down the file.
    const ids = events.map((e) => e.id as unknown as number);
    expect(ids.every((id) => Number.isSafeInteger(id) && id > 0)).toBe(true);
    for (let i = 1; i < ids.length; i++) expect(ids[i]).toBeGreaterThan(ids[i - 1]!);
    for (const r of rooms) {
      expect(actualRows(events, r.roomId, r.appId)).toEqual(expectedRows(r.roomId, sim.servedSnapshots(r.appId, r.roomId)));
    }
    // The churny rooms really changed, so the comparison above was not of two empty lists.
    expect(events.filter((e) => e.roomId?.startsWith('churny')).length).toBeGreaterThan(10);

    const stats = sim.stats();
    expect(stats.signatureFailures).toBe(0);
    expect(stats.throttled).toBe(0);
    // Saturated: cycles ran back to back. The limiter allows QPS per rolling second at its own clock; at
    // the server (arrival times, after scheduling jitter) the issue allows one more.
    expect(metricValue(text, 'rtc_poll_cycle_overruns_total')).toBeGreaterThan(0);
    expect(stats.maxRequestsInAnyWindow).toBeGreaterThanOrEqual(QPS - 1);
    expect(stats.maxRequestsInAnyWindow).toBeLessThanOrEqual(QPS + 1);
  });
});

describe('daemon credentials', () => {
  it('refuses to start without credentials, naming the variables and not any value', async () => {
    const { spawnSync } = await import('node:child_process');
    const dir = mkdtempSync(join(tmpdir(), 'rtc-nocreds-'));
    try {
      const cfg = join(dir, 'c.yaml');
      writeFileSync(cfg, 'rooms: [{appId: a, roomId: r}]\n');
      const res = spawnSync(process.execPath, [join(__dirname, '..', '..', 'dist', 'src', 'cli.js'), '--config', cfg], {
        cwd: dir,
        env: { PATH: process.env.PATH ?? '', VOLC_SECRETKEY: 'only-the-secret-is-set' },
        encoding: 'utf8',
      });
      expect(res.status).toBe(2);
      expect(res.stderr).toContain('VOLC_ACCESSKEY: not set');
      expect(res.stderr + res.stdout).not.toContain('only-the-secret-is-set');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
