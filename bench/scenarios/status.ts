import { accessSync, constants } from 'node:fs';
import { chromium } from 'playwright-core';
import type { ScenarioContext } from '../context';
import { DaemonChild } from '../daemon-child';
import type { StatusParams } from '../profiles';
import { SectionResult, fmt } from '../report';
import { BENCH_CREDENTIALS, baseConfig, benchRooms, configRooms, roomId, startSimulator } from '../sim-world';
import { percentile } from '../stats';
import { Members } from '../../src/rooms/membership-diff';
import { OccupancyHistory } from '../../src/status/occupancy-history';
import { OccupancySampler } from '../../src/status/occupancy-sampler';
import { parseRoomsQuery, queryRooms, StatusRoom } from '../../src/status/rooms-query';
import { MemoryStore } from '../../src/store/memory-store';
import { RoomStore } from '../../src/store/room-store';
import { median } from '../stats';
import { savedState } from './scrape';

/**
 * Scenario 7: the status page with many rooms. The JSON API timed at the client (request to last byte)
 * for the queries the page makes, and the page itself loaded in Debian's chromium (headless, through
 * playwright-core; skipped with a note when it is not installed): navigation start to the first page of
 * rows in the table, each load in a fresh browser context (no cache). Rooms come from a saved state, so
 * every row has values; the daemon polls meanwhile.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface StatusApiRun {
  query: string;
  requests: number;
  p50Ms: number;
  p90Ms: number;
  bytes: number;
}

export interface StatusRun {
  rooms: number;
  /** queryRooms in the harness process (no HTTP, no JSON): median ms per query. */
  inProcess: { query: string; medianMs: number }[];
  api: StatusApiRun[];
  /** Navigation start → first page of rows shown, per load; empty when chromium is missing. */
  pageLoadMs: number[];
  /** The same for GET /-/healthy (a one-line text page): the browser's own floor on this machine now. */
  floorMs: number[];
}

/** The occupancy sampler's pass over all rooms, in the harness process. */
export interface SamplerRun {
  rooms: number;
  /** The first pass: allocates each room's hour of history. */
  firstMs: number;
  /** Later passes, with a seventh of the rooms polled since the one before. */
  medianMs: number;
  maxMs: number;
}

/**
 * The status page samples every room into its occupancy history every 5 s on the event loop
 * (src/status/occupancy-sampler.ts), so its pass is event-loop time the poller and the scrapes wait for.
 * Timed on a real RoomStore; the "polls" between passes set lastSuccessMs directly (no state store work).
 */
export const SAMPLER_PASSES = 20;

export function samplerPasses(rooms: number, passes: number): SamplerRun {
  const store = new RoomStore(new MemoryStore({ maxEvents: 1000, maxAgeSeconds: 3600 }), () => 1);
  store.setRooms(Array.from({ length: rooms }, (_, i) => ({ appId: 'bench-app', roomId: roomId(i) })));
  const views = [...store.views()] as Array<{ lastSuccessMs?: number; totalUsers: number }>;
  let now = Date.now();
  const poll = (every: number): void => {
    for (let i = 0; i < views.length; i += every) {
      views[i]!.lastSuccessMs = now;
      views[i]!.totalUsers = i % 50;
    }
  };
  const sampler = new OccupancySampler(new OccupancyHistory(), store);
  poll(1);
  let t0 = performance.now();
  sampler.sample();
  const firstMs = performance.now() - t0;
  const times: number[] = [];
  for (let i = 0; i < passes; i++) {
    now += 5000;
    poll(7);
    t0 = performance.now();
    sampler.sample();
    times.push(performance.now() - t0);
  }
  return { rooms, firstMs, medianMs: median(times), maxMs: Math.max(...times) };
}

async function timeGet(url: string): Promise<{ ms: number; bytes: number }> {
  const t0 = performance.now();
  const res = await fetch(url);
  const body = await res.arrayBuffer();
  const ms = performance.now() - t0;
  if (res.status !== 200) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return { ms, bytes: body.byteLength };
}

function hasChromium(): boolean {
  try {
    accessSync(CHROMIUM, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

type InPage = { document: { querySelectorAll(s: string): { length: number }; body: { textContent: string | null } | null }; performance: { now(): number } };

async function pageLoads(url: string, loads: number, expectRows: number): Promise<{ page: number[]; floor: number[] }> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  // The predicates run in the page (the build has no DOM types, hence the cast); performance.now() counts
  // from the navigation start.
  const load = async (path: string, shown: (n: number) => number | false): Promise<number> => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${url}${path}`, { waitUntil: 'commit' });
    const handle = await page.waitForFunction(shown, expectRows, { polling: 'raf' });
    const ms = Number(await handle.jsonValue());
    await context.close();
    return ms;
  };
  const rows = (n: number): number | false => {
    const g = globalThis as unknown as InPage;
    return g.document.querySelectorAll('#rooms tbody tr[data-room]').length >= n && g.performance.now();
  };
  const text = (): number | false => {
    const g = globalThis as unknown as InPage;
    return (g.document.body?.textContent ?? '').includes('Healthy') && g.performance.now();
  };
  try {
    const out = { page: [] as number[], floor: [] as number[] };
    for (let i = 0; i <= loads; i++) {
      const pageMs = await load('/', rows);
      const floorMs = await load('/-/healthy', text);
      if (i === 0) continue; // the first load warms the browser itself up
      out.page.push(pageMs);
      out.floor.push(floorMs);
    }
    return out;
  } finally {
    await browser.close();
  }
}

/** Median ms of queryRooms over `runs` calls (after a few warm-up calls), on `rooms` synthetic views. */
function inProcess(rooms: number, queries: string[], runs: number): { query: string; medianMs: number }[] {
  const now = Date.now();
  const views: StatusRoom[] = Array.from({ length: rooms }, (_, i) => ({
    appId: 'bench-app', roomId: roomId(i), capacity: 50, exists: true, totalUsers: i % 50, totalInvisibleUsers: i % 7, up: true, lastSuccessMs: now - (i % 30) * 1000,
    joins: 0, leaves: 0, visibilityChanges: 0, pollFailures: 0, invisibleTruncated: false, visibleTruncated: false, membership: new Members(), baselined: true,
  }));
  return queries.map((query) => {
    const parsed = parseRoomsQuery(new URL(query, 'http://x/').searchParams);
    if ('error' in parsed) throw new Error(parsed.error);
    const times: number[] = [];
    for (let i = 0; i < runs + 3; i++) {
      const t0 = performance.now();
      queryRooms(views, parsed, now);
      if (i >= 3) times.push(performance.now() - t0);
    }
    return { query: `/${query}`, medianMs: median(times) };
  });
}

export async function measureStatus(p: StatusParams, rooms: number, ctx: ScenarioContext): Promise<StatusRun> {
  ctx.log(`status: ${rooms} rooms`);
  const { sim, endpoint } = await startSimulator(benchRooms(rooms, 2));
  let daemon: DaemonChild | undefined;
  const last = Math.max(0, rooms - 50);
  const queries = [
    'api/rooms',
    `api/rooms?q=${encodeURIComponent(roomId(Math.floor(rooms / 2)))}`,
    `api/rooms?sort=roomId&order=desc&offset=${last}`,
    'api/rooms?limit=1000',
    `api/rooms/bench-app/${encodeURIComponent(roomId(0))}`,
  ];
  let result: Omit<StatusRun, 'rooms' | 'inProcess'>;
  try {
    daemon = await DaemonChild.start({
      config: { ...baseConfig(endpoint, p.qps, '*/15 * * * * *', configRooms(rooms, { capacity: 50 })), state: { file: 'state.db' } },
      credentials: BENCH_CREDENTIALS,
      cpuProfileDir: ctx.cpuProfileDir,
      files: { 'state.db': await savedState(rooms, Date.now()) },
    });
    const api: StatusApiRun[] = [];
    for (const query of queries) {
      const times: number[] = [];
      let bytes = 0;
      for (let i = 0; i < p.warmup + p.requests; i++) {
        const r = await timeGet(`${daemon.url}/${query}`);
        if (i >= p.warmup) times.push(r.ms);
        bytes = r.bytes;
      }
      api.push({ query: `/${query}`, requests: times.length, p50Ms: percentile(times, 50), p90Ms: percentile(times, 90), bytes });
    }
    let loads = { page: [] as number[], floor: [] as number[] };
    if (hasChromium()) loads = await pageLoads(daemon.url, p.pageLoads, Math.min(50, rooms));
    else ctx.log(`status: ${CHROMIUM} not found; page loads not measured`);
    result = { api, pageLoadMs: loads.page, floorMs: loads.floor };
  } finally {
    await daemon?.stop();
    await sim.stop();
  }
  // After the daemon and the simulator (which runs in this process) have stopped, so nothing else is served here.
  return { rooms, inProcess: inProcess(rooms, queries.filter((q) => q.startsWith('api/rooms?') || q === 'api/rooms'), p.requests), ...result };
}

export function statusSection(runs: readonly StatusRun[], sampler: readonly SamplerRun[], p: StatusParams): SectionResult {
  const big = runs.find((r) => r.rooms === 10_000);
  const loaded = runs.filter((r) => r.pageLoadMs.length > 0);
  return {
    id: 'status',
    setup: `The built daemon with N rooms restored from a saved state, polling at qps ${p.qps}. API: ${p.requests} sequential requests per query after ${p.warmup} warm-up, timed at the client from request to last byte; the last column is the filter/sort/page step alone (src/status/rooms-query.ts on as many synthetic rooms in the harness process). Page: ${p.pageLoads} loads of / in headless chromium (a fresh context each, so nothing cached), from navigation start to the first page of rows in the table; the page fetches /api/rooms (50 rows) and /api/status and opens the event stream. The floor is the same browser loading the one-line text of /-/healthy the same way, alternating with the page: what any page costs on this machine at this load. Sampler: the status page's occupancy pass (every 5 s on the daemon's event loop) over a RoomStore of N rooms in the harness process, ${SAMPLER_PASSES} passes with a seventh of the rooms polled between them.`,
    tables: [
      {
        headers: ['rooms', 'query', 'p50', 'p90', 'body', 'queryRooms in process (median)'],
        rows: runs.flatMap((r) =>
          r.api.map((a) => {
            const own = r.inProcess.find((x) => x.query === a.query);
            return [fmt.n(r.rooms), `\`${a.query}\``, fmt.ms(a.p50Ms), fmt.ms(a.p90Ms), `${fmt.n(a.bytes / 1024, 1)} KiB`, own ? fmt.ms(own.medianMs) : '–'];
          }),
        ),
      },
      {
        headers: ['rooms', 'occupancy sampler: first pass', 'later passes, median', 'max'],
        rows: sampler.map((r) => [fmt.n(r.rooms), fmt.ms(r.firstMs), fmt.ms(r.medianMs), fmt.ms(r.maxMs)]),
      },
      {
        headers: ['rooms', 'page loads', 'p50 to first rows', 'max', 'floor: `/-/healthy` p50'],
        rows: loaded.map((r) => [fmt.n(r.rooms), String(r.pageLoadMs.length), fmt.ms(percentile(r.pageLoadMs, 50)), fmt.ms(Math.max(...r.pageLoadMs)), fmt.ms(percentile(r.floorMs, 50))]),
      },
    ],
    checks:
      big && big.pageLoadMs.length > 0
        ? [{ what: 'page shows its first rows, 10,000 rooms (p50)', target: '< 1 s', measured: fmt.ms(percentile(big.pageLoadMs, 50)), pass: percentile(big.pageLoadMs, 50) < 1000 }]
        : [],
    notes: loaded.length < runs.length ? [`chromium not found at ${CHROMIUM}: page loads not measured`] : [],
    data: { runs, sampler },
  };
}
