import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite-store';
import type { ScenarioContext } from '../context';
import { DaemonChild } from '../daemon-child';
import type { ScrapeParams } from '../profiles';
import { SectionResult, fmt } from '../report';
import { BENCH_APP, BENCH_CREDENTIALS, baseConfig, benchRooms, configRooms, roomId, startSimulator } from '../sim-world';
import { percentile } from '../stats';

/**
 * Scenario 5: GET /metrics from the client side, back to back, while the daemon polls at `qps`. Timed
 * from sending the request to having the whole body. Every room gets a capacity and starts from a
 * saved state (so the per-room series exist from the first scrape instead of after a 4-minute cycle);
 * only rtc_room_up waits for each room's first poll in this run, and its count is reported.
 */

export interface ScrapeRun {
  rooms: number;
  scrapes: number;
  p50Ms: number;
  p90Ms: number;
  maxMs: number;
  bytes: number;
  samples: number;
  roomUpSamples: number;
  /** Vendor API requests per second the daemon made while being scraped back to back (it is single-threaded). */
  apiQpsDuringScrapes: number;
}

/** A state database holding a baseline for every room, as the bytes of the file. */
export async function savedState(rooms: number, nowMs: number): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'rtc-bench-state-'));
  try {
    const file = join(dir, 'state.db');
    const { store } = SqliteStore.open(file, { maxEvents: 1_000_000, maxAgeSeconds: 3600 });
    for (let i = 0; i < rooms; i++) {
      await store.commitPoll({
        appId: BENCH_APP,
        roomId: roomId(i),
        exists: true,
        totalUsers: 2,
        totalInvisibleUsers: 0,
        lastSuccessMs: nowMs,
        baseline: { visible: [`u_${roomId(i)}_1`, `u_${roomId(i)}_2`], invisible: [] },
        changes: [],
        events: [],
      });
    }
    await store.close();
    return readFileSync(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function scrape(url: string): Promise<{ ms: number; body: string }> {
  const t0 = performance.now();
  const res = await fetch(`${url}/metrics`);
  const body = await res.text();
  const ms = performance.now() - t0;
  if (res.status !== 200) throw new Error(`GET /metrics: HTTP ${res.status}`);
  return { ms, body };
}

export async function measureScrape(p: ScrapeParams, rooms: number, ctx: ScenarioContext): Promise<ScrapeRun> {
  ctx.log(`scrape: ${rooms} rooms, ${p.scrapes} GET /metrics`);
  const { sim, endpoint } = await startSimulator(benchRooms(rooms, 2));
  let daemon: DaemonChild | undefined;
  try {
    daemon = await DaemonChild.start({
      config: {
        ...baseConfig(endpoint, p.qps, '*/15 * * * * *', configRooms(rooms, { capacity: 50 })),
        state: { file: 'state.db' },
      },
      credentials: BENCH_CREDENTIALS,
      cpuProfileDir: ctx.cpuProfileDir,
      files: { 'state.db': await savedState(rooms, Date.now()) },
    });
    for (let i = 0; i < p.warmupScrapes; i++) await scrape(daemon.url);
    const times: number[] = [];
    let last = '';
    const r0 = sim.stats().requests;
    const t0 = performance.now();
    for (let i = 0; i < p.scrapes; i++) {
      const { ms, body } = await scrape(daemon.url);
      times.push(ms);
      last = body;
    }
    const apiQpsDuringScrapes = (sim.stats().requests - r0) / ((performance.now() - t0) / 1000);
    const lines = last.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    return {
      rooms,
      scrapes: times.length,
      p50Ms: percentile(times, 50),
      p90Ms: percentile(times, 90),
      maxMs: Math.max(...times),
      bytes: Buffer.byteLength(last),
      samples: lines.length,
      roomUpSamples: lines.filter((l) => l.startsWith('rtc_room_up{')).length,
      apiQpsDuringScrapes,
    };
  } finally {
    await daemon?.stop();
    await sim.stop();
  }
}

export function scrapeSection(runs: readonly ScrapeRun[], p: ScrapeParams): SectionResult {
  const big = runs.find((r) => r.rooms === 10_000);
  return {
    id: 'scrape',
    setup: `${p.scrapes} sequential GET /metrics (after ${p.warmupScrapes} warm-up), timed at the client from request to last byte, while the daemon polls at qps ${p.qps}. Rooms are restored from a saved state and have a capacity, so every per-room family is present except rtc_room_up for rooms not yet polled in this run (count shown). The last column is the daemon's vendor API rate during the back-to-back scrapes: rendering runs on the same thread as polling.`,
    tables: [
      {
        headers: ['rooms', 'scrapes', 'p50', 'p90', 'max', 'body size', 'samples', 'rtc_room_up samples', `API req/s meanwhile (qps ${p.qps})`],
        rows: runs.map((r) => [
          fmt.n(r.rooms),
          String(r.scrapes),
          fmt.ms(r.p50Ms),
          fmt.ms(r.p90Ms),
          fmt.ms(r.maxMs),
          fmt.mib(r.bytes),
          fmt.n(r.samples),
          fmt.n(r.roomUpSamples),
          fmt.n(r.apiQpsDuringScrapes, 1),
        ]),
      },
    ],
    checks: big ? [{ what: 'p50 render time, 10,000 rooms', target: '≤ 50 ms', measured: fmt.ms(big.p50Ms), pass: big.p50Ms <= 50 }] : [],
    notes: [],
    data: runs,
  };
}
