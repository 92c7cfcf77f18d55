import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { Simulator } from '../../src/simulator';
import type { SimRoomSpec } from '../../src/simulator';
import { RunningDaemon, startDaemon } from '../support/daemon-process';
import { DAEMON_CLI } from '../support/repo-paths';
import { SpawnedProcess } from '../support/spawned-process';
import { actualRows as rowsOf, expectedRows, metricValue as metric } from '../support/served-oracle';
import { readEventsFile } from '../support/event-replay';
import { waitFor } from '../support/wait-for';

/** Faults, restarts, reloads and shutdown, each against the built daemon and the simulator on loopback. */

const credentials = { accessKeyId: 'AKLTresilience', secretAccessKey: 'resilience-secret-never-printed' };

const scrape = async (d: RunningDaemon): Promise<string> => (await fetch(`${d.url}/metrics`)).text();

const readEvents = (file: string): Record<string, string>[] => readEventsFile(file) as unknown as Record<string, string>[];

describe('resilience', () => {
  let dir: string;
  let sim: Simulator | undefined;
  const daemons: RunningDaemon[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rtc-res-'));
  });
  afterEach(async () => {
    for (const d of daemons.splice(0)) await d.stop();
    await sim?.stop();
    sim = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(rooms: SimRoomSpec[], config: Record<string, unknown>, simOpts: Partial<ConstructorParameters<typeof Simulator>[0]> = {}): Promise<{ endpoint: string; daemon: RunningDaemon }> {
    sim ??= new Simulator({ credentials, rooms, recordServed: true, seed: 11, ...simOpts });
    const endpoint = await sim.start();
    const daemon = await launch(endpoint, rooms, config);
    return { endpoint, daemon };
  }

  async function launch(endpoint: string, rooms: SimRoomSpec[], config: Record<string, unknown>): Promise<RunningDaemon> {
    const daemon = await startDaemon({
      credentials,
      env: { LOG_LEVEL: 'info' },
      // The reload test uses POST /-/reload, which is off without the flag.
      args: ['--web.enable-lifecycle'],
      config: {
        rateLimit: { qps: 10 },
        schedule: '*/1 * * * * *',
        rooms: rooms.map((r) => ({ appId: r.appId, roomId: r.roomId })),
        ...config,
        // Always the simulator: a test must never reach out past loopback.
        api: { timeoutMs: 800, retryBaseDelayMs: 20, retryMaxDelayMs: 100, ...(config.api as object | undefined), endpoint },
      },
    });
    daemons.push(daemon);
    return daemon;
  }

  const served = (roomId: string): number => sim!.servedSnapshots('app', roomId).length;
  const waitForPolls = async (n: number, roomIds: string[]): Promise<void> => {
    const targets = roomIds.map((r) => served(r) + n);
    await waitFor(`${n} more successful polls`, () => (roomIds.every((r, i) => served(r) >= targets[i]!) ? true : undefined), { timeoutMs: 30_000 });
  };

  it('with 30% faulty responses stays up, invents no event, and recovers within one cycle after faults stop', async () => {
    const rooms: SimRoomSpec[] = ['f1', 'f2', 'f3', 'f4'].map((roomId, i) => ({
      appId: 'app',
      roomId,
      visible: 8 + i,
      invisible: 2,
      churn: { joinsPerMinute: 60, leavesPerMinute: 60, visibilityChangesPerMinute: 20 },
    }));
    const eventsFile = join(dir, 'events.ndjson');
    const { daemon } = await start(rooms, { events: { file: eventsFile, log: false }, api: { timeoutMs: 500, maxRetries: 1, retryBaseDelayMs: 20, retryMaxDelayMs: 100 } });
    const each = 0.3 / 7;
    sim!.setFaults({ status500: each, status429: each, hang: each, malformedJson: each, connectionReset: each, missingResult: each, errorOn200: each });
    await waitFor('faults to hit every kind', () => {
      const f = sim!.stats().faultsInjected;
      return Object.values(f).every((n) => n > 0) ? true : undefined;
    }, { timeoutMs: 40_000 });

    const stoppedAt = Date.now() / 1000;
    sim!.setFaults({ status500: 0, status429: 0, hang: 0, malformedJson: 0, connectionReset: 0, missingResult: 0, errorOn200: 0 });
    const cyclesAtStop = metric(await scrape(daemon), 'rtc_poll_cycles_total')!;
    // The cycle running now may still see faults; the one after it must refresh every room.
    await waitFor('two more completed cycles', async () => ((metric(await scrape(daemon), 'rtc_poll_cycles_total') ?? 0) >= cyclesAtStop + 2 ? true : undefined));
    const text = await scrape(daemon);
    for (const r of rooms) {
      expect(metric(text, 'rtc_room_last_success_timestamp_seconds', r.roomId)).toBeGreaterThan(stoppedAt);
      expect(metric(text, 'rtc_room_up', r.roomId)).toBe(1);
    }
    expect(text).toMatch(/rtc_api_requests_total\{action="GetRoomOnlineUsers",code="Timeout",account="default"\} [1-9]/);
    expect(text).toMatch(/rtc_api_requests_total\{action="GetRoomOnlineUsers",code="MalformedResponse",account="default"\} [1-9]/);
    expect(metric(text, 'rtc_ratelimit_throttled_total')).toBeGreaterThan(0);
    expect((await fetch(`${daemon.url}/-/healthy`)).status).toBe(200);

    for (const r of rooms) sim!.world.setChurn({ paused: true }, r.appId, r.roomId);
    await waitForPolls(2, rooms.map((r) => r.roomId));
    await daemon.stop();
    expect(daemon.process.exitStatus()).toEqual({ code: 0, signal: null });
    const events = readEvents(eventsFile);
    for (const r of rooms) expect(rowsOf(events, r.roomId)).toEqual(expectedRows(r.roomId, sim!.servedSnapshots('app', r.roomId)));
    expect(events.length).toBeGreaterThan(0);
  }, 90_000);

  it('after kill -9 right after the baseline poll and a restart, reports exactly the changes made while it was down', async () => {
    const rooms: SimRoomSpec[] = [
      { appId: 'app', roomId: 'r1', visible: 3, invisible: 1, churn: { paused: true } },
      { appId: 'app', roomId: 'r2', visible: 2, invisible: 0, churn: { paused: true } },
    ];
    const stateFile = join(dir, 'state.db');
    const eventsFile = join(dir, 'events.ndjson');
    const config = { state: { file: stateFile }, events: { file: eventsFile, log: false } };
    const { endpoint, daemon } = await start(rooms, config);
    // startDaemon returned after the first full cycle: every room's baseline is committed. No waiting
    // for a periodic save: there is none.
    process.kill(daemon.process.pid!, 'SIGKILL');
    await daemon.process.waitForExit();

    const r1 = sim!.world.snapshot('app', 'r1');
    sim!.world.removeMember('app', 'r1', r1.visible[0]!);
    sim!.world.setVisibility('app', 'r1', r1.invisible[0]!, 'visible');
    sim!.world.addMember('app', 'r2', 'late-joiner', 'invisible');

    await launch(endpoint, rooms, config);
    const rows = (): string[] => rowsOf(readEvents(eventsFile), 'r1').concat(rowsOf(readEvents(eventsFile), 'r2'));
    await waitFor('the downtime events in the file', () => (rows().length >= 3 ? true : undefined));
    await waitForPolls(1, ['r1', 'r2']);
    expect(rows()).toEqual([
      `r1|leave|${r1.visible[0]!}|visible`,
      `r1|visibility_change|${r1.invisible[0]!}|visible`,
      'r2|join|late-joiner|invisible',
    ]);
    const ids = readEvents(eventsFile).map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
  }, 60_000);

  it('moves a corrupt state database aside with a loud warning and a metric, and runs from a fresh baseline', async () => {
    const rooms: SimRoomSpec[] = [{ appId: 'app', roomId: 'r1', visible: 4, invisible: 0, churn: { paused: true } }];
    const stateFile = join(dir, 'state.db');
    const eventsFile = join(dir, 'events.ndjson');
    // A real store, then its pages scribbled over (the SQLite header kept): damaged, not foreign.
    const { SqliteStore } = await import('../../src/store/sqlite-store');
    const { store } = SqliteStore.open(stateFile, { maxEvents: 10, maxAgeSeconds: 10 });
    for (let i = 0; i < 100; i++) await store.commitPoll({ appId: 'app', roomId: `x${i}`, exists: true, totalUsers: 1, totalInvisibleUsers: 0, lastSuccessMs: 1, baseline: { visible: ['u'.repeat(200)], invisible: [] }, changes: [], events: [] }, 1);
    await store.close();
    const bytes = readFileSync(stateFile);
    for (let i = 4096; i < bytes.length; i += 5) bytes[i] = 0x5a;
    writeFileSync(stateFile, bytes);

    const { daemon } = await start(rooms, { state: { file: stateFile }, events: { file: eventsFile, log: false } });
    await waitForPolls(2, ['r1']);
    expect(daemon.process.output()).toContain('STATE DATABASE DAMAGED');
    expect(metric(await scrape(daemon), 'rtc_state_corrupt_recoveries_total')).toBe(1);
    const aside = readdirSync(dir).filter((f) => f.startsWith('state.db.corrupt-'));
    expect(aside.length).toBeGreaterThan(0);
    expect(readFileSync(join(dir, aside.find((f) => !f.endsWith('-wal') && !f.endsWith('-shm'))!)).equals(bytes)).toBe(true);
    expect(readEvents(eventsFile)).toEqual([]);
  }, 60_000);

  it.each([
    ['the config file itself', 'config'],
    ['the events file', 'events'],
  ])('refuses a state.file that points at %s: exits non-zero, names the key, leaves the file unchanged', async (_what, target) => {
    const configFile = join(dir, 'monitor.yaml');
    const eventsFile = join(dir, 'events.ndjson');
    const eventsText = '{"id":1,"time":"2026-01-01T00:00:00.000Z","type":"join","appId":"a","roomId":"r","userId":"u","visibility":"visible"}\n';
    writeFileSync(eventsFile, eventsText);
    // events.file is left out for the events case: the config check would catch the equal paths first.
    const cfg = stringify({
      api: { endpoint: 'http://127.0.0.1:9' },
      server: { host: '127.0.0.1', port: 0 },
      state: { file: target === 'config' ? configFile : eventsFile },
      rooms: [{ appId: 'a', roomId: 'r' }],
    });
    writeFileSync(configFile, cfg);
    const proc = new SpawnedProcess('rtc-room-monitor', process.execPath, [DAEMON_CLI, '--config', configFile], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', VOLC_ACCESSKEY: credentials.accessKeyId, VOLC_SECRETKEY: credentials.secretAccessKey },
    });
    await proc.waitForExit();
    expect(proc.exitStatus()?.code).not.toBe(0);
    expect(proc.output()).toMatch(/state\.file: .* is not an rtc-room-monitor store/);
    expect(readFileSync(configFile, 'utf8')).toBe(cfg);
    expect(readFileSync(eventsFile, 'utf8')).toBe(eventsText);
  }, 30_000);

  it('reloads on SIGHUP and POST /-/reload: rooms added and removed, qps changed, a bad config kept out', async () => {
    const rooms: SimRoomSpec[] = ['keep', 'drop', 'add'].map((roomId) => ({ appId: 'app', roomId, visible: 3, invisible: 1, churn: { paused: true } }));
    const eventsFile = join(dir, 'events.ndjson');
    const { endpoint, daemon } = await start(rooms, { events: { file: eventsFile, log: false } });
    const base = {
      api: { endpoint, timeoutMs: 800 },
      schedule: '*/1 * * * * *',
      server: { host: '127.0.0.1', port: Number(new URL(daemon.url).port) },
      events: { file: eventsFile, log: false },
    };
    writeFileSync(daemon.configFile, stringify({ ...base, schedule: '*/2 * * * * *', rateLimit: { qps: 7 }, rooms: [{ appId: 'app', roomId: 'keep' }, { appId: 'app', roomId: 'add', capacity: 9 }] }));
    process.kill(daemon.process.pid!, 'SIGHUP');
    await waitFor('the reload to apply', async () => (metric(await scrape(daemon), 'rtc_ratelimit_qps') === 7 ? true : undefined));
    // The limiter follows the new cap.
    await waitFor('the limiter at the new cap', async () => (metric(await scrape(daemon), 'rtc_ratelimit_effective_qps') === 7 ? true : undefined));
    expect(metric(await scrape(daemon), 'rtc_poll_interval_seconds')).toBe(2);
    // Three polls: the first may still belong to a cycle the old schedule started just before the swap.
    await waitForPolls(3, ['keep', 'add']);
    let text = await scrape(daemon);
    expect(text).not.toContain('room_id="drop"');
    expect(metric(text, 'rtc_room_capacity', 'add')).toBe(9);
    expect(metric(text, 'rtc_room_total_users', 'add')).toBe(4);
    expect(metric(text, 'rtc_config_last_reload_successful')).toBe(1);

    // The new schedule is in force: polls of one room are now about 2 s apart.
    const at = sim!.servedSnapshots('app', 'keep').slice(-2).map((x) => x.at);
    expect(at[1]! - at[0]!).toBeGreaterThan(1500);

    writeFileSync(daemon.configFile, stringify({ ...base, rateLimit: { qps: 45 }, rooms: [] }));
    const res = await fetch(`${daemon.url}/-/reload`, { method: 'POST' });
    expect(res.status).toBe(500);
    const body = await res.text();
    expect(body).toContain('rateLimit.qps: must be < 40');
    expect(body).toContain('rooms: must list at least one room');
    text = await scrape(daemon);
    expect(metric(text, 'rtc_config_last_reload_successful')).toBe(0);
    expect(metric(text, 'rtc_ratelimit_qps')).toBe(7);
    await waitForPolls(1, ['keep', 'add']);

    writeFileSync(daemon.configFile, stringify({ ...base, rateLimit: { qps: 8 }, rooms: [{ appId: 'app', roomId: 'keep' }] }));
    expect((await fetch(`${daemon.url}/-/reload`, { method: 'POST' })).status).toBe(200);
    text = await scrape(daemon);
    expect(metric(text, 'rtc_config_last_reload_successful')).toBe(1);
    expect(text).not.toContain('room_id="add"');
    await daemon.stop();
    // Unchanged rooms kept their state and removed ones left silently: no event at all.
    expect(readEvents(eventsFile)).toEqual([]);
  }, 60_000);

  it('on SIGTERM with a request hung, aborts it at the deadline, flushes events and exits 0', async () => {
    const rooms: SimRoomSpec[] = [{ appId: 'app', roomId: 'h1', visible: 2, invisible: 0, churn: { paused: true } }];
    const eventsFile = join(dir, 'events.ndjson');
    const { daemon } = await start(rooms, { api: { timeoutMs: 60_000, maxRetries: 0 }, shutdown: { timeoutMs: 700 }, events: { file: eventsFile, log: false } });
    sim!.world.addMember('app', 'h1', 'before-shutdown', 'visible');
    await waitForPolls(1, ['h1']);
    sim!.setFaults({ hang: 1 });
    await waitFor('a hung request', () => ((sim!.stats().faultsInjected.hang ?? 0) > 0 ? true : undefined));
    const t0 = Date.now();
    await daemon.stop();
    expect(Date.now() - t0).toBeLessThan(4000);
    expect(daemon.process.exitStatus()).toEqual({ code: 0, signal: null });
    expect(daemon.process.output()).toContain('aborting them');
    expect(rowsOf(readEvents(eventsFile), 'h1')).toEqual(['h1|join|before-shutdown|visible']);
  }, 60_000);
});
