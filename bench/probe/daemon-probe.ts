import { subscribe } from 'node:diagnostics_channel';
import { renameSync, writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';

/**
 * Loaded into the daemon child with `node --require` (never by the daemon itself), so the benchmarks can
 * see inside the process without touching src/:
 *  - the start time of every outgoing HTTP request (the client side of the rate cap), taken from Node's
 *    `http.client.request.start` diagnostics channel, which axios' http adapter goes through;
 *  - the time each gated request's bytes were released to its socket (the daemon's
 *    `rtc-room-monitor:request.sent` channel, src/volc/send-gate.ts): the start as the vendor counts it;
 *  - on SIGUSR2: a forced GC when --expose-gc is on, then a dump of those times and memoryUsage() to the
 *    file named by BENCH_PROBE_OUT, written under a temp name and renamed so a reader never sees half;
 *  - with BENCH_PROBE_LOOP_DELAY=1 only, the event-loop delay (perf_hooks, 10 ms resolution) since the
 *    previous dump (reset at each dump). Off otherwise: its 100 wake-ups a second cost about half a point
 *    of a core, which the cost scenario would charge to the daemon (the reference client has no probe).
 * Installing a SIGUSR2 handler also stops the signal's default action (terminate).
 */

export interface ProbeDump {
  /** performance.timeOrigin + performance.now() at each request start, ms (sub-ms resolution). */
  requestStarts: number[];
  /** The same clock at each release of a gated request to its socket (empty if the build has no gate). */
  requestSends: number[];
  memory: NodeJS.MemoryUsage;
  /** Committed bytes of each V8 heap space after that GC (new_space is the young generation). */
  heapSpaces: Record<string, number>;
  gcForced: boolean;
  /** Event-loop delay since the previous dump (or the start), ms. */
  eventLoopDelay: { p50: number; p99: number; max: number; samples: number };
}

const out = process.env.BENCH_PROBE_OUT;
const requestStarts: number[] = [];
const requestSends: number[] = [];
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
if (process.env.BENCH_PROBE_LOOP_DELAY === '1') loopDelay.enable();

subscribe('http.client.request.start', () => {
  requestStarts.push(performance.timeOrigin + performance.now());
});
// The channel's name as src/volc/send-gate.ts exports it (not imported: the probe loads before the daemon).
subscribe('rtc-room-monitor:request.sent', () => {
  requestSends.push(performance.timeOrigin + performance.now());
});

process.on('SIGUSR2', () => {
  if (!out) return;
  const gc = (globalThis as { gc?: () => void }).gc;
  const eventLoopDelay = { p50: loopDelay.percentile(50) / 1e6, p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6, samples: loopDelay.count };
  loopDelay.reset();
  // After reading the delay: the forced GC's pause shows in the next period (every period starts with one).
  gc?.();
  const heapSpaces = Object.fromEntries(getHeapSpaceStatistics().map((h) => [h.space_name, h.physical_space_size]));
  const dump: ProbeDump = { requestStarts, requestSends, memory: process.memoryUsage(), heapSpaces, gcForced: gc !== undefined, eventLoopDelay };
  const tmp = `${out}.tmp`;
  writeFileSync(tmp, JSON.stringify(dump));
  renameSync(tmp, out);
});
