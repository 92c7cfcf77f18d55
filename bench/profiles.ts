/**
 * How big and how long each scenario runs. `full` is what BENCHMARKS.md reports (a few minutes on a
 * 2-core machine); `quick` is for checking a change; `smoke` only proves the harness works (npm test).
 */

export type ProfileName = 'full' | 'quick' | 'smoke';

export interface SteadyParams {
  /** More rooms than one schedule period can hold at `qps`, so the limiter is never idle. */
  rooms: number;
  qpsList: number[];
  schedule: string;
  /** Seconds after the daemon is up before the saturation window starts. */
  warmupS: number;
  /** Length of the saturation window. */
  steadyS: number;
}

export interface FreshnessCase {
  label: string;
  rooms: number;
  qps: number;
  schedule: string;
  /** The schedule's period, seconds (the cron expression above ticks this often). */
  periodS: number;
  durationS: number;
}

export interface CostParams {
  qps: number;
  /** Rooms per run; the same for every member count so per-room overhead cancels out of the slope. */
  rooms: number;
  memberCounts: number[];
  /** Full poll cycles after the first before measuring, so every room has been diffed. */
  settleCycles: number;
  measureS: number;
  /** Also measure the reference client (bench/reference-client.ts) on rooms of this size. */
  referenceMembers?: number;
  /**
   * Bytes per tracked member: rooms of `members` each at these room counts, so only the number of tracked
   * members changes between runs, not the size of each response.
   */
  perMember: { members: number; roomCounts: number[] };
}

export interface ScrapeParams {
  roomCounts: number[];
  qps: number;
  warmupScrapes: number;
  scrapes: number;
}

export interface DiffParams {
  memberCounts: number[];
  /** Minimum wall time per batch. */
  batchMs: number;
  batches: number;
}

export interface StatusParams {
  roomCounts: number[];
  qps: number;
  warmup: number;
  /** Requests per API query. */
  requests: number;
  /** Page loads in chromium, after one warm-up load. */
  pageLoads: number;
  /** Room counts for the occupancy sampler's pass, timed in process. */
  samplerRoomCounts: number[];
}

export interface StoreParams {
  qps: number;
  rooms: number;
  members: number;
  /** Per room, per minute, in the heavy-churn case. */
  churn: { joinsPerMinute: number; leavesPerMinute: number; visibilityChangesPerMinute: number };
  settleCycles: number;
  measureS: number;
}

export interface ThrottleParams {
  rooms: number;
  qps: number;
  schedule: string;
  periodS: number;
  durationS: number;
  /** Injected 429 probabilities per request (0 = the same run without faults, for scale). */
  probabilities: number[];
  /** The simulator's own cap in the sustained case, below `qps`. */
  sustainedSimCapQps: number;
  sustainedS: number;
}

export interface TurnoverParams {
  rooms: number;
  qps: number;
  /** Members of the room that turns over. */
  members: number;
  turnovers: number;
  /** Seconds between turnovers (the room is polled about every second). */
  everyS: number;
}

export interface Profile {
  name: ProfileName;
  steady: SteadyParams;
  freshness: FreshnessCase[];
  cost: CostParams;
  scrape: ScrapeParams;
  diff: DiffParams;
  status: StatusParams;
  store: StoreParams;
  throttle: ThrottleParams;
  turnover: TurnoverParams;
}

const EVERY_SECOND = '* * * * * *';

export const PROFILES: Record<ProfileName, Profile> = {
  full: {
    name: 'full',
    steady: { rooms: 2000, qpsList: [35, 39], schedule: '*/15 * * * * *', warmupS: 3, steadyS: 60 },
    freshness: [
      { label: 'schedule-bound', rooms: 100, qps: 35, schedule: '*/5 * * * * *', periodS: 5, durationS: 45 },
      { label: 'balanced', rooms: 175, qps: 35, schedule: '*/5 * * * * *', periodS: 5, durationS: 45 },
      { label: 'rate-bound', rooms: 500, qps: 35, schedule: '*/5 * * * * *', periodS: 5, durationS: 75 },
    ],
    cost: { qps: 35, rooms: 100, memberCounts: [10, 1000, 10_000], settleCycles: 1, measureS: 30, referenceMembers: 1000, perMember: { members: 1000, roomCounts: [50, 100, 500] } },
    scrape: { roomCounts: [100, 1000, 10_000, 100_000], qps: 35, warmupScrapes: 3, scrapes: 20 },
    diff: { memberCounts: [10, 1000, 10_000, 100_000], batchMs: 300, batches: 5 },
    status: { roomCounts: [1000, 10_000], qps: 35, warmup: 3, requests: 30, pageLoads: 10, samplerRoomCounts: [10_000, 100_000] },
    store: { qps: 35, rooms: 100, members: 1000, churn: { joinsPerMinute: 60, leavesPerMinute: 60, visibilityChangesPerMinute: 30 }, settleCycles: 1, measureS: 30 },
    throttle: { rooms: 350, qps: 35, schedule: '*/5 * * * * *', periodS: 5, durationS: 60, probabilities: [0, 0.002, 0.01], sustainedSimCapQps: 20, sustainedS: 20 },
    turnover: { rooms: 20, qps: 35, members: 10_000, turnovers: 15, everyS: 2 },
  },
  quick: {
    name: 'quick',
    steady: { rooms: 2000, qpsList: [35, 39], schedule: '*/15 * * * * *', warmupS: 2, steadyS: 10 },
    freshness: [
      { label: 'schedule-bound', rooms: 50, qps: 35, schedule: '*/2 * * * * *', periodS: 2, durationS: 12 },
      { label: 'rate-bound', rooms: 105, qps: 35, schedule: EVERY_SECOND, periodS: 1, durationS: 12 },
    ],
    cost: { qps: 35, rooms: 40, memberCounts: [10, 1000, 10_000], settleCycles: 1, measureS: 8, referenceMembers: 1000, perMember: { members: 1000, roomCounts: [40, 200] } },
    scrape: { roomCounts: [1000, 10_000], qps: 35, warmupScrapes: 2, scrapes: 15 },
    diff: { memberCounts: [10, 1000, 10_000], batchMs: 150, batches: 3 },
    status: { roomCounts: [10_000], qps: 35, warmup: 2, requests: 10, pageLoads: 3, samplerRoomCounts: [10_000] },
    store: { qps: 35, rooms: 100, members: 1000, churn: { joinsPerMinute: 60, leavesPerMinute: 60, visibilityChangesPerMinute: 30 }, settleCycles: 1, measureS: 10 },
    throttle: { rooms: 105, qps: 35, schedule: EVERY_SECOND, periodS: 1, durationS: 15, probabilities: [0, 0.01], sustainedSimCapQps: 20, sustainedS: 8 },
    turnover: { rooms: 20, qps: 35, members: 10_000, turnovers: 5, everyS: 2 },
  },
  smoke: {
    name: 'smoke',
    steady: { rooms: 100, qpsList: [35], schedule: '*/15 * * * * *', warmupS: 0.3, steadyS: 1 },
    freshness: [{ label: 'rate-bound', rooms: 20, qps: 35, schedule: EVERY_SECOND, periodS: 1, durationS: 2.5 }],
    cost: { qps: 35, rooms: 5, memberCounts: [10, 1000], settleCycles: 0, measureS: 0.5, referenceMembers: 1000, perMember: { members: 1000, roomCounts: [5, 10] } },
    scrape: { roomCounts: [100], qps: 35, warmupScrapes: 1, scrapes: 3 },
    diff: { memberCounts: [10, 1000], batchMs: 20, batches: 2 },
    status: { roomCounts: [100], qps: 35, warmup: 1, requests: 2, pageLoads: 1, samplerRoomCounts: [100] },
    store: { qps: 35, rooms: 5, members: 1000, churn: { joinsPerMinute: 60, leavesPerMinute: 60, visibilityChangesPerMinute: 30 }, settleCycles: 0, measureS: 1.5 },
    throttle: { rooms: 20, qps: 35, schedule: EVERY_SECOND, periodS: 1, durationS: 2, probabilities: [0.05], sustainedSimCapQps: 20, sustainedS: 2 },
    turnover: { rooms: 5, qps: 35, members: 1000, turnovers: 1, everyS: 1.5 },
  },
};
