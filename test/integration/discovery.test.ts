import { SimCallSpec, Simulator } from '../../src/simulator';
import { RunningDaemon, startDaemon } from '../support/daemon-process';

/**
 * The built daemon discovering rooms through ListRoomInfo on the simulator, with 300 calls starting and
 * ending over the run. The simulator's record of every answer it served is the oracle.
 */

const credentials = { accessKeyId: 'AKLTdiscovery', secretAccessKey: 'discovery-secret-never-printed' };
const APP = 'app-d';
const DATA_DELAY_MS = 1000;
const INTERVAL_S = 1;
const RETIRE_S = 4;
const LIST_QPS = 8;
const QPS = 30;
const FIXED = ['fixed-1', 'fixed-2'];

/** Deterministic pseudo-random numbers in [0, 1) (a test's world must not move between runs). */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

function timeline(t0: number): SimCallSpec[] {
  const rnd = lcg(42);
  const calls: SimCallSpec[] = [];
  for (let i = 0; i < 296; i++) {
    const startMs = t0 + Math.floor(rnd() * 40_000);
    // Two kinds: too short to be listed live (under the data delay), and long enough to be polled.
    const duration = i % 4 === 0 ? 300 + Math.floor(rnd() * 600) : 5000 + Math.floor(rnd() * 15_000);
    calls.push({ appId: APP, roomId: `call-${i}`, startMs, endMs: startMs + duration, visible: 1 + (i % 3) });
  }
  // A room that comes back: two calls in the same room, apart in time.
  calls.push({ appId: APP, roomId: 'again', startMs: t0 + 2000, endMs: t0 + 10_000 });
  calls.push({ appId: APP, roomId: 'again', startMs: t0 + 25_000, endMs: t0 + 35_000 });
  // Calls of another app are not this daemon's business.
  calls.push({ appId: 'other-app', roomId: 'not-mine', startMs: t0, endMs: t0 + 30_000 });
  calls.push({ appId: APP, roomId: 'long', startMs: t0 - 60_000 });
  return calls;
}

describe('discovery through ListRoomInfo against the simulator', () => {
  let sim: Simulator;
  let daemon: RunningDaemon | undefined;
  let calls: SimCallSpec[];
  /** Every scrape: when, and which discovered rooms had series. */
  const scrapes: { at: number; rooms: Set<string> }[] = [];

  beforeAll(async () => {
    const t0 = Date.now() + 3000;
    calls = timeline(t0);
    sim = new Simulator({
      credentials,
      rooms: FIXED.map((roomId) => ({ appId: 'app-fixed', roomId, visible: 2, churn: { paused: true } })),
      calls,
      dataDelayMs: DATA_DELAY_MS,
      recordServed: true,
    });
    const endpoint = await sim.start();
    daemon = await startDaemon({
      credentials,
      config: {
        api: { endpoint, timeoutMs: 3000 },
        rateLimit: { qps: QPS },
        schedule: '*/1 * * * * *',
        events: { log: false },
        discovery: {
          listRoomInfo: { apps: [APP], intervalSeconds: INTERVAL_S, lookbackHours: 1, overlapSeconds: 3, qps: LIST_QPS },
          retireAfterSeconds: RETIRE_S,
        },
        rooms: FIXED.map((roomId) => ({ appId: 'app-fixed', roomId })),
      },
    });
    // Scrape every 250 ms until every call has ended and its series had time to leave.
    const lastEnd = Math.max(...calls.map((c) => c.endMs ?? 0));
    const until = lastEnd + (RETIRE_S + 6) * 1000;
    while (Date.now() < until) {
      const text = await (await fetch(`${daemon.url}/metrics`)).text();
      const rooms = new Set([...text.matchAll(/^rtc_room_exists\{app_id="app-d",room_id="([^"]+)"\}/gm)].map((m) => m[1]!));
      scrapes.push({ at: Date.now(), rooms });
      await new Promise((r) => setTimeout(r, 250));
    }
  }, 120_000);

  afterAll(async () => {
    await daemon?.stop();
    await sim?.stop();
  });

  /** The longest gap between two polls of a fixed room: how long one cycle took at most in this run. */
  const cycleMs = (): number => {
    let max = 0;
    for (const roomId of FIXED) {
      const at = sim.servedSnapshots('app-fixed', roomId).map((s) => s.at);
      for (let i = 1; i < at.length; i++) max = Math.max(max, at[i]! - at[i - 1]!);
    }
    return max;
  };
  const servedIn = (roomId: string, from: number, to: number) => sim.servedSnapshots(APP, roomId).filter((s) => s.at >= from && s.at <= to);

  it('polls every call that lives longer than data delay + interval + one cycle, during the call', () => {
    const cycle = cycleMs();
    expect(cycle).toBeGreaterThan(0);
    // The pass itself (a request or two through the ListRoomInfo limiter) and timer slack: 500 ms.
    const bound = DATA_DELAY_MS + INTERVAL_S * 1000 + cycle + 500;
    const long = calls.filter((c) => c.appId === APP && c.endMs !== undefined && c.endMs - c.startMs > bound);
    expect(long.length).toBeGreaterThan(150);
    const missed = long.filter((c) => !servedIn(c.roomId, c.startMs, c.endMs!).some((s) => s.exists));
    expect(missed.map((c) => `${c.roomId} ${c.endMs! - c.startMs} ms`)).toEqual([]);
    expect(sim.servedSnapshots(APP, 'long').some((s) => s.exists)).toBe(true);
    expect(sim.servedSnapshots('other-app', 'not-mine')).toEqual([]);
  });

  it('polls a room that comes back with a new call again', () => {
    const [first, second] = calls.filter((c) => c.roomId === 'again');
    expect(servedIn('again', first!.startMs, first!.endMs!).some((s) => s.exists)).toBe(true);
    expect(servedIn('again', first!.endMs! + 3000, second!.startMs).filter((s) => s.exists)).toEqual([]);
    expect(servedIn('again', second!.startMs, second!.endMs!).some((s) => s.exists)).toBe(true);
  });

  it('stops polling a room within one cycle of its retirement (the poll that saw it gone)', () => {
    const cycle = cycleMs();
    const late: string[] = [];
    let retired = 0;
    for (const c of calls.filter((x) => x.appId === APP && x.endMs !== undefined && x.roomId !== 'again')) {
      const after = sim.servedSnapshots(APP, c.roomId).filter((s) => s.at > c.endMs!);
      const gone = after.find((s) => !s.exists);
      if (!gone) continue;
      retired++;
      const extra = after.filter((s) => s.at > gone.at + cycle);
      if (extra.length > 0) late.push(`${c.roomId}: ${extra.length} poll(s) after retirement`);
      expect(after.every((s) => !s.exists)).toBe(true);
    }
    expect(late).toEqual([]);
    expect(retired).toBeGreaterThan(150);
  });

  it('keeps a retired room\'s series for the retire delay, then drops them', () => {
    const cycle = cycleMs();
    let checked = 0;
    for (const c of calls.filter((x) => x.appId === APP && x.endMs !== undefined && x.roomId !== 'again')) {
      const gone = sim.servedSnapshots(APP, c.roomId).find((s) => s.at > c.endMs! && !s.exists);
      if (!gone) continue;
      const retiredAt = gone.at;
      // Still there a moment after retirement (the graph ends with the last values, not a gap)...
      const during = scrapes.filter((s) => s.at > retiredAt + 300 && s.at < retiredAt + RETIRE_S * 1000 - 300);
      if (during.length > 0) expect(during.every((s) => s.rooms.has(c.roomId))).toBe(true);
      // ...and gone once the delay (checked at the start of each cycle) has passed.
      const afterwards = scrapes.filter((s) => s.at > retiredAt + RETIRE_S * 1000 + cycle + 1000);
      if (afterwards.length > 0) {
        expect(afterwards.some((s) => s.rooms.has(c.roomId))).toBe(false);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(150);
  });

  // The vendor's caps, counted on arrival at the simulator: ListRoomInfo below 10 in any rolling second,
  // GetRoomOnlineUsers at most 40. (The limiters run below them, at `qps`; arrivals can bunch by a request
  // or two on a loaded machine, which the margin absorbs: bench/ measures how closely.)
  it('never exceeds either cap in any rolling second at the simulator', () => {
    const list = sim.listRoomInfoStats();
    expect(list.requests).toBeGreaterThan(20);
    expect(list.maxRequestsInAnyWindow).toBeLessThan(10);
    expect(list.throttled).toBe(0);
    const rooms = sim.stats();
    expect(rooms.requests).toBeGreaterThan(500);
    expect(rooms.maxRequestsInAnyWindow).toBeLessThanOrEqual(40);
    expect(rooms.throttled).toBe(0);
  });

  it('exports discovery health', async () => {
    const text = await (await fetch(`${daemon!.url}/metrics`)).text();
    expect(text).toMatch(/^rtc_discovery_last_success_timestamp_seconds\{source="list_room_info",target="app-d"\} \d/m);
    expect(text).toMatch(/^rtc_discovery_requests_total\{source="list_room_info",result="failure"\} 0$/m);
    expect(text).toMatch(/^rtc_discovery_rooms\{app_id="app-fixed",source="static"\} 2$/m);
    expect(text).toMatch(/^rtc_discovery_rooms\{app_id="app-d",source="list_room_info"\} 1$/m); // only "long" is left
    expect(Number(/^rtc_discovery_rooms_retired_total (\d+)/m.exec(text)?.[1])).toBeGreaterThan(200);
    expect(text).toMatch(/^rtc_room_info\{app_id="app-d",room_id="long",account="default",source="list_room_info"\} 1$/m);
    expect(text).toMatch(/^rtc_api_requests_total\{action="ListRoomInfo",code="Success",account="default"\} \d+/m);
  });
});
