import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Simulator } from '../../src/simulator';
import type { SimRoomSpec } from '../../src/simulator';
import { callbackBody } from '../../src/simulator/callback-pusher';
import { RunningDaemon, startDaemon } from '../support/daemon-process';
import { LoggedEvent, readEventsFile, replayRoom } from '../support/event-replay';
import { freePort } from '../support/free-port';
import { metricValue } from '../support/served-oracle';
import { waitFor } from '../support/wait-for';

/**
 * Vendor callbacks end to end: the built daemon receives the simulator's signed callbacks (with loss,
 * repeats and reordering) while it polls; every room's events file must be one consistent log, events
 * must come from callbacks at once, and once churn stops and a sweep has run the log equals the world.
 */

const credentials = { accessKeyId: 'AKLTcallbacks', secretAccessKey: 'callbacks-api-secret-never-printed' };
const SECRET = 'callback-secret-never-printed';
const readEvents = (file: string): (LoggedEvent & { source?: string; time: string })[] => readEventsFile(file);

describe('vendor callbacks against the simulator', () => {
  let dir: string;
  let sim: Simulator | undefined;
  const daemons: RunningDaemon[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rtc-callbacks-'));
  });
  afterEach(async () => {
    for (const d of daemons.splice(0)) await d.stop();
    await sim?.stop();
    sim = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  const launch = async (config: Record<string, unknown>): Promise<RunningDaemon> => {
    const d = await startDaemon({ credentials, config, env: { RTC_CALLBACK_SECRET: SECRET }, readyTimeoutMs: 30_000 });
    daemons.push(d);
    return d;
  };

  it('callbacks with loss, repeats and reordering: events at once, one consistent log, the world after a sweep', async () => {
    const port = await freePort();
    const rooms: SimRoomSpec[] = ['k1', 'k2', 'k3', 'k4'].map((roomId, i) => ({ appId: 'app', roomId, visible: 4 + i, invisible: 1, churn: { joinsPerMinute: 150, leavesPerMinute: 150, visibilityChangesPerMinute: 60 } }));
    // Everything is lost until the daemon is up, so each room's log starts at its first poll.
    sim = new Simulator({ credentials, rooms, recordServed: true, seed: 11, callbacks: { url: `http://127.0.0.1:${port}/callbacks/rtc`, secret: SECRET, lossProbability: 1 } });
    const endpoint = await sim.start();
    const eventsFile = join(dir, 'events.ndjson');
    const daemon = await launch({
      api: { endpoint, timeoutMs: 2000 },
      rateLimit: { qps: 10 },
      schedule: '*/5 * * * * *',
      server: { host: '127.0.0.1', port },
      state: { file: join(dir, 'state.db') },
      events: { file: eventsFile, log: false },
      callbacks: { reconcileGraceMs: 2000, confirmAfterMs: 500 },
      rooms: rooms.map((r) => ({ appId: r.appId, roomId: r.roomId })),
    });
    sim.setCallbackFaults({ lossProbability: 0.1, duplicateProbability: 0.2, reorderProbability: 0.2, delayMaxMs: 300, reorderDelayMs: 700 });

    // A member added now is reported by its callback, long before the next sweep would see it.
    sim.world.addMember('app', 'k1', 'walk-in', 'invisible');
    const walkIn = await waitFor('the walk-in join', () => readEvents(eventsFile).find((e) => e.userId === 'walk-in'), { timeoutMs: 15_000, intervalMs: 50 });
    expect(walkIn).toMatchObject({ type: 'join', visibility: 'invisible' });

    await waitFor('200 events', () => (readEvents(eventsFile).length >= 200 ? true : undefined), { timeoutMs: 60_000 });
    sim.world.setChurn({ paused: true });
    // Quiet now: let the last callbacks land, then wait for a sweep that starts after the grace.
    const quietAt = Date.now();
    await waitFor('a sweep of every room after the grace', () => (rooms.every((r) => sim!.servedSnapshots(r.appId, r.roomId).some((s) => s.at > quietAt + 3000)) ? true : undefined), { timeoutMs: 30_000 });
    const served = (roomId: string) => sim!.servedSnapshots('app', roomId);
    await waitFor('the log to settle on the world', () => {
      const events = readEvents(eventsFile);
      return rooms.every((r) => {
        const snap = sim!.world.snapshot('app', r.roomId);
        const world = new Map([...snap.visible.map((u): [string, string] => [u, 'visible']), ...snap.invisible.map((u): [string, string] => [u, 'invisible'])].sort());
        return JSON.stringify([...replayRoom(served(r.roomId)[0]!, events, r.roomId)]) === JSON.stringify([...world]);
      })
        ? true
        : undefined;
    }, { timeoutMs: 20_000 });

    const events = readEvents(eventsFile);
    // No id twice, ids increasing; every room's log consistent from its first poll (replayRoom throws).
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    for (const r of rooms) replayRoom(served(r.roomId)[0]!, events, r.roomId);
    const bySource = (s: string): number => events.filter((e) => e.source === s).length;
    // Most changes arrive by callback; polls repair the lost ones.
    expect(bySource('callback')).toBeGreaterThan(events.length / 2);
    expect(bySource('poll')).toBeGreaterThan(0);
    expect(bySource('callback') + bySource('poll')).toBe(events.length);

    const text = await (await fetch(`${daemon.url}/metrics`)).text();
    expect(text).toMatch(/^rtc_callbacks_received_total\{event_type="UserJoinRoom",result="accepted"\} [1-9]/m);
    expect(text).toMatch(/^rtc_callbacks_received_total\{event_type="UserJoinRoom",result="duplicate"\} [1-9]/m);
    expect(text).toMatch(/^rtc_callback_reconcile_corrections_total\{account="default"\} [1-9]/m);
    expect(text).toMatch(/^rtc_callback_lag_seconds_count [1-9]/m);
    expect(text).not.toContain(SECRET);
    expect(daemon.process.output()).not.toContain(SECRET);
  });

  it('a callback answered 200 survives kill -9, a repeat after the restart makes no second event, and a room first seen in a callback is polled', async () => {
    sim = new Simulator({ credentials, rooms: [{ appId: 'app', roomId: 'known', visible: 2, churn: { paused: true } }], recordServed: true });
    const endpoint = await sim.start();
    const eventsFile = join(dir, 'events.ndjson');
    const config = {
      api: { endpoint, timeoutMs: 2000 },
      rateLimit: { qps: 10 },
      schedule: '0 0 * * * *',
      state: { file: join(dir, 'state.db') },
      events: { file: eventsFile, log: false },
      callbacks: {},
      rooms: [{ appId: 'app', roomId: 'known' }],
    };
    let daemon = await launch(config);
    const post = (body: string): Promise<Response> => fetch(`${daemon.url}/callbacks/rtc`, { method: 'POST', body });
    sim.world.addMember('app', 'known', 'late', 'visible');
    const join1 = callbackBody({ kind: 'join', appId: 'app', roomId: 'known', userId: 'late', visibility: 'visible', atMs: Date.now() }, 'evt-kill-1', 'abcd', SECRET);
    expect((await post(join1)).status).toBe(200);
    process.kill(daemon.process.pid!, 'SIGKILL');
    await daemon.process.waitForExit();
    await daemon.stop();
    daemons.splice(daemons.indexOf(daemon), 1);

    daemon = await launch(config);
    await waitFor('the join in the events file', () => readEvents(eventsFile).find((e) => e.userId === 'late'));
    expect((await post(join1)).status).toBe(200);
    const text = await (await fetch(`${daemon.url}/metrics`)).text();
    expect(text).toMatch(/^rtc_callbacks_received_total\{event_type="UserJoinRoom",result="duplicate"\} 1$/m);
    expect(readEvents(eventsFile).filter((e) => e.userId === 'late')).toHaveLength(1);

    // Bad input through the real endpoint: never a 5xx.
    expect((await post('{"not":"an envelope"}')).status).toBe(400);
    expect((await post(JSON.stringify({ ...JSON.parse(join1), Signature: '00'.repeat(32) }))).status).toBe(401);
    expect((await post('x'.repeat(70_000))).status).toBe(413);

    // A room nobody configured: joins the registry with source callback and is polled to confirm.
    sim.world.addMember('app', 'pop-up', 'p1', 'visible');
    const popUp = callbackBody({ kind: 'join', appId: 'app', roomId: 'pop-up', userId: 'p1', visibility: 'visible', atMs: Date.now() }, 'evt-pop-1', 'abcd', SECRET);
    expect((await post(popUp)).status).toBe(200);
    await waitFor('a confirm poll of the new room', () => (sim!.servedSnapshots('app', 'pop-up').length > 0 ? true : undefined));
    await waitFor('the room in /metrics', async () => {
      const m = await (await fetch(`${daemon.url}/metrics`)).text();
      return metricValue(m, 'rtc_room_total_users', 'pop-up') === 1 && /rtc_discovery_rooms\{app_id="app",source="callback"\} 1/.test(m) ? true : undefined;
    });
    expect(readEvents(eventsFile).filter((e) => e.roomId === 'pop-up').map((e) => [e.type, e.userId, e.source])).toEqual([['join', 'p1', 'callback']]);
  });

  it('a callbacks section without its secret is a config error naming the key', async () => {
    const { execFileSync } = await import('node:child_process');
    const { writeFileSync } = await import('node:fs');
    const { DAEMON_CLI } = await import('../support/repo-paths');
    const file = join(dir, 'monitor.yaml');
    writeFileSync(file, 'api: {endpoint: "http://127.0.0.1:1"}\ncallbacks: {}\nrooms: [{appId: a, roomId: r}]\n');
    let stderr = '';
    try {
      execFileSync(process.execPath, [DAEMON_CLI, 'check-config', '--config', file], { cwd: dir, env: { PATH: process.env.PATH ?? '', VOLC_ACCESSKEY: 'x', VOLC_SECRETKEY: 'y' }, stdio: 'pipe' });
    } catch (err) {
      stderr = String((err as { stderr: Buffer }).stderr);
    }
    expect(stderr).toContain('callbacks.secretEnv: RTC_CALLBACK_SECRET is not set');
  });
});
