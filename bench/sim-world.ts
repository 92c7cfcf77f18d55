import { ChildProcess, spawn } from 'node:child_process';
import { Simulator, SimRoomSpec } from '../src/simulator';
import { REFERENCE_CLIENT } from './paths';

/** The simulated account the benchmarks run against: one app, numbered rooms, a static world. */

export const BENCH_CREDENTIALS = { accessKeyId: 'AKLTbench', secretAccessKey: 'bench-secret-not-real' };
export const BENCH_APP = 'bench-app';

export function roomId(i: number): string {
  return `room-${String(i).padStart(5, '0')}`;
}

/**
 * `count` rooms with `members` each, nine in ten visible (the invisible list stays under the simulator's
 * 10,000 limit, so nothing is truncated). No churn: the benchmarks measure polling, not event volume.
 */
export function benchRooms(count: number, members: number): SimRoomSpec[] {
  const invisible = Math.floor(members / 10);
  return Array.from({ length: count }, (_, i) => ({ appId: BENCH_APP, roomId: roomId(i), visible: members - invisible, invisible }));
}

/** The config's `rooms` list for the same rooms. */
export function configRooms(count: number, extra: Record<string, unknown> = {}): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, i) => ({ appId: BENCH_APP, roomId: roomId(i), ...extra }));
}

export async function startSimulator(rooms: SimRoomSpec[], recordServed = false): Promise<{ sim: Simulator; endpoint: string }> {
  const sim = new Simulator({ credentials: BENCH_CREDENTIALS, rooms, recordServed, seed: 1 });
  return { sim, endpoint: await sim.start() };
}

/** The daemon config every scenario starts from: event output off (a static world has none anyway). */
export function baseConfig(endpoint: string, qps: number, schedule: string, rooms: Record<string, unknown>[]): Record<string, unknown> {
  return { api: { endpoint, timeoutMs: 5000 }, rateLimit: { qps }, schedule, events: { log: false }, rooms };
}

/** The bare reference poller (bench/reference-client.ts) polling `rooms` of this world at `qps`, as its own process. */
export function spawnReference(endpoint: string, qps: number, rooms: number, nodeArgs: string[] = []): ChildProcess {
  return spawn(process.execPath, [...nodeArgs, REFERENCE_CLIENT], {
    stdio: 'ignore',
    env: {
      PATH: process.env.PATH ?? '',
      BENCH_ENDPOINT: endpoint,
      BENCH_QPS: String(qps),
      BENCH_APP,
      BENCH_ROOMS: Array.from({ length: rooms }, (_, i) => roomId(i)).join(','),
      VOLC_ACCESSKEY: BENCH_CREDENTIALS.accessKeyId,
      VOLC_SECRETKEY: BENCH_CREDENTIALS.secretAccessKey,
    },
  });
}
