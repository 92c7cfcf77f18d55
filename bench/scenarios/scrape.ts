import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite-store';
import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import type { ScenarioContext } from '../context';
import { DaemonChild } from '../daemon-child';
import type { ScrapeParams } from '../profiles';
import { SectionResult, fmt } from '../report';
import { BENCH_APP, BENCH_CREDENTIALS, baseConfig, benchRooms, configRooms, roomId, startSimulator } from '../sim-world';
import { measureRender, RenderRun } from '../scrape-render';
import { percentile, slope } from '../stats';
import { rssBytes } from '../proc-usage';

/**
 * Scenario 5: GET /metrics from the client side, back to back, while the daemon polls at `qps`. Timed
 * from sending the request to having the whole body. Every room gets a capacity and starts from a
 * saved state (so the per-room series exist from the first scrape instead of after a 4-minute cycle);
 * only rtc_room_up waits for each room's first poll in this run, and its count is reported.
 */

export interface ScrapeRun {
  rooms: number;
  scrapes: number;
  /** With `Accept-Encoding: gzip`, as Prometheus sends it. */
  p50Ms: number;
  p90Ms: number;
  maxMs: number;
  gzipBytes: number;
  /** The same without compression (`Accept-Encoding: identity`). */
  plainP50Ms: number;
  plainP90Ms: number;
  bytes: number;
  samples: number;
  roomUpSamples: number;
  /** Vendor API requests per second the daemon made while being scraped back to back (it is single-threaded). */
  apiQpsDuringScrapes: number;
  /** The daemon's resident memory after the scrapes. */
  rssBytes: number;
  /** The room families rendered and gzipped in the harness process (no HTTP). */
  render: RenderRun;
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
      }, 1);
    }
    await store.close();
    return readFileSync(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** GET /metrics on a fresh connection, timed from sending the request to the last byte of the (raw) body. */
function scrape(url: string, gzip: boolean): Promise<{ ms: number; body: string; wireBytes: number }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request({ host: hostname, port, path: '/metrics', headers: { 'Accept-Encoding': gzip ? 'gzip' : 'identity' }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const ms = performance.now() - t0;
        if (res.statusCode !== 200) return reject(new Error(`GET /metrics: HTTP ${res.statusCode}`));
        const raw = Buffer.concat(chunks);
        const body = (res.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
        resolve({ ms, body, wireBytes: raw.length });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Rooms polled in one 15 s scrape interval at 35 qps: what changes between two scrapes at full rate. */
const CHANGED_PER_SCRAPE = 525;

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
      startTimeoutMs: 30_000 + rooms * 2,
    });
    for (let i = 0; i < p.warmupScrapes; i++) await scrape(daemon.url, true);
    const times: number[] = [];
    const plainTimes: number[] = [];
    let last = '';
    let gzipBytes = 0;
    const r0 = sim.stats().requests;
    const t0 = performance.now();
    // Alternating, so both see the same state of the daemon and the machine.
    for (let i = 0; i < p.scrapes; i++) {
      const gz = await scrape(daemon.url, true);
      times.push(gz.ms);
      gzipBytes = gz.wireBytes;
      const plain = await scrape(daemon.url, false);
      plainTimes.push(plain.ms);
      last = plain.body;
    }
    const apiQpsDuringScrapes = (sim.stats().requests - r0) / ((performance.now() - t0) / 1000);
    const lines = last.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    return {
      rooms,
      scrapes: times.length,
      p50Ms: percentile(times, 50),
      p90Ms: percentile(times, 90),
      maxMs: Math.max(...times),
      gzipBytes,
      plainP50Ms: percentile(plainTimes, 50),
      plainP90Ms: percentile(plainTimes, 90),
      bytes: Buffer.byteLength(last),
      samples: lines.length,
      roomUpSamples: lines.filter((l) => l.startsWith('rtc_room_up{')).length,
      apiQpsDuringScrapes,
      rssBytes: rssBytes(daemon.pid),
      render: await measureRender(rooms, CHANGED_PER_SCRAPE, p.scrapes),
    };
  } finally {
    await daemon?.stop();
    await sim.stop();
  }
}

export function scrapeSection(runs: readonly ScrapeRun[], p: ScrapeParams): SectionResult {
  const big = runs.find((r) => r.rooms === 10_000);
  const perRoom = runs.length > 1 ? slope(runs.map((r) => r.rooms), runs.map((r) => r.rssBytes)) : NaN;
  return {
    id: 'scrape',
    setup: `${p.scrapes} pairs of sequential GET /metrics (after ${p.warmupScrapes} warm-up), one with \`Accept-Encoding: gzip\` (as Prometheus sends it) and one with \`identity\`, alternating, each on a new loopback connection, timed at the client from sending the request to the last byte of the body as sent (not counting the client's decompression), while the daemon polls at qps ${p.qps}. Rooms are restored from a saved state and have a capacity, so every per-room family is present except rtc_room_up for rooms not yet polled in this run (count shown). "API req/s meanwhile" is the daemon's vendor API rate during the back-to-back scrapes: rendering runs on the same thread as polling. The second table measures the room families alone in the harness process: the first scrape (everything rendered and compressed) and the steady state, where the ${CHANGED_PER_SCRAPE} rooms one 15 s scrape interval at 35 qps polls changed since the last scrape (median of ${p.scrapes}); heap per room is what the renderer's and the gzip cache's retained text costs.`,
    tables: [
      {
        headers: ['rooms', 'scrapes', 'gzip p50', 'gzip p90', 'gzip max', 'gzip size', 'plain p50', 'plain p90', 'plain size', 'samples', 'rtc_room_up samples', `API req/s meanwhile (qps ${p.qps})`, 'daemon RSS'],
        rows: runs.map((r) => [
          fmt.n(r.rooms),
          String(r.scrapes),
          fmt.ms(r.p50Ms),
          fmt.ms(r.p90Ms),
          fmt.ms(r.maxMs),
          fmt.mib(r.gzipBytes),
          fmt.ms(r.plainP50Ms),
          fmt.ms(r.plainP90Ms),
          fmt.mib(r.bytes),
          fmt.n(r.samples),
          fmt.n(r.roomUpSamples),
          fmt.n(r.apiQpsDuringScrapes, 1),
          fmt.mib(r.rssBytes),
        ]),
      },
      {
        headers: ['rooms', 'first render', 'first gzip', 'steady render', 'steady gzip', 'text', 'gzip', 'heap per room (render + gzip caches)'],
        rows: runs.map(({ render: x }) => [fmt.n(x.rooms), fmt.ms(x.coldRenderMs), fmt.ms(x.coldGzipMs), fmt.ms(x.steadyRenderMs), fmt.ms(x.steadyGzipMs), fmt.mib(x.textBytes), fmt.mib(x.gzipBytes), `${fmt.n(x.heapBytesPerRoom)} B`]),
      },
    ],
    checks: big ? [{ what: 'p50 time to last byte (gzip), 10,000 rooms', target: '≤ 30 ms', measured: fmt.ms(big.p50Ms), pass: big.p50Ms <= 30 }] : [],
    notes: Number.isFinite(perRoom) ? [`Daemon RSS per configured room (least-squares slope over the room counts above, 2 members each): ${fmt.n(perRoom)} bytes.`] : [],
    data: runs,
  };
}
