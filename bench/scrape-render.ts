import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { SegmentedGzip } from '../src/http/compress';
import type { RoomView } from '../src/store/room-store';
import { RoomFamiliesRenderer } from '../src/sinks/room-metrics';
import { BENCH_APP, roomId } from './sim-world';
import { median } from './stats';

/**
 * The room families' part of a scrape measured in this process, without HTTP: the text rendering and the
 * gzip, cold (first scrape: everything) and steady (the rooms one 15 s scrape interval of polling at 35 qps
 * touches changed since the last scrape), and the memory the caches keep per room.
 */

export interface RenderRun {
  rooms: number;
  /** Rooms changed between two steady scrapes. */
  changedRooms: number;
  coldRenderMs: number;
  coldGzipMs: number;
  steadyRenderMs: number;
  steadyGzipMs: number;
  textBytes: number;
  gzipBytes: number;
  /** V8 heap kept by the renderer and the gzip cache, per room (after a full GC). */
  heapBytesPerRoom: number;
}

type MutableView = { -readonly [K in keyof RoomView]: RoomView[K] };

function views(n: number, nowMs: number): MutableView[] {
  return Array.from({ length: n }, (_, i) => ({
    appId: BENCH_APP,
    roomId: roomId(i),
    capacity: 50,
    exists: true,
    totalUsers: 2,
    totalInvisibleUsers: 0,
    up: true,
    lastSuccessMs: nowMs,
    joins: i % 7,
    leaves: i % 5,
    visibilityChanges: 0,
    pollFailures: 0,
    invisibleTruncated: false, visibleTruncated: false,
    // Not read by the renderer; the membership representation belongs to the store.
    membership: undefined as unknown as RoomView['membership'],
    baselined: true,
  }));
}

function gc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

function time<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const r = f();
  return [r, performance.now() - t0];
}

async function timeAsync<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const r = await f();
  return [r, performance.now() - t0];
}

export async function measureRender(rooms: number, changedRooms: number, repeats: number): Promise<RenderRun> {
  const collect = gc();
  let now = Date.now();
  const list = views(rooms, now);
  collect();
  const heap0 = process.memoryUsage().heapUsed;
  const renderer = new RoomFamiliesRenderer();
  const gzip = new SegmentedGzip();
  const [cold, coldRenderMs] = time(() => renderer.segments(list));
  // Wall time: compressing this much new text gives the event loop turns (compress.ts, SLICE_MS).
  const [coldBody, coldGzipMs] = await timeAsync(() => gzip.gzip(cold));
  const textBytes = cold.reduce((n, s) => n + Buffer.byteLength(s.text), 0);
  const render: number[] = [];
  const compress: number[] = [];
  let next = 0;
  for (let i = 0; i < repeats; i++) {
    now += 15_000;
    // Polls go in room order: the next `changedRooms` rooms, wrapping around.
    for (let k = 0; k < changedRooms; k++) list[(next + k) % rooms]!.lastSuccessMs = now;
    next = (next + changedRooms) % rooms;
    const [segments, r] = time(() => renderer.segments(list));
    const [, z] = await timeAsync(() => gzip.gzip(segments));
    render.push(r);
    compress.push(z);
  }
  collect();
  const heapBytesPerRoom = (process.memoryUsage().heapUsed - heap0) / rooms;
  return {
    rooms,
    changedRooms,
    coldRenderMs,
    coldGzipMs,
    steadyRenderMs: median(render),
    steadyGzipMs: median(compress),
    textBytes,
    gzipBytes: coldBody.length,
    heapBytesPerRoom,
  };
}
