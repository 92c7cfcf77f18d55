/**
 * GET /api/status: the daemon's own state. Shaped for what is coming: one entry per account (one today,
 * "default"), one per discovery source ("config" today), and a role that cluster mode will set to
 * "leader" or "standby" ("single" until then). New fields are added, existing ones keep their meaning.
 */
export interface DaemonStatus {
  version: string;
  ready: boolean;
  role: 'single' | 'leader' | 'standby';
  startTime: string;
  rooms: number;
  accounts: AccountStatus[];
  cycles: CycleStatus;
  discovery: DiscoveryStatus[];
  /** Newest event id in the feed (0 when none yet). */
  latestEventId: number;
}

export interface AccountStatus {
  account: string;
  configuredQps: number;
  effectiveQps: number;
  /** Requests waiting for the account's rate limiter. */
  limiterQueue: number;
}

export interface CycleStatus {
  completed: number;
  lastDurationSeconds: number | null;
  lastCompletedTime: string | null;
  overruns: number;
  /** Expected seconds between two polls of one room. */
  pollIntervalSeconds: number;
}

export interface DiscoveryStatus {
  source: string;
  healthy: boolean;
  rooms: number;
  /** The last error of an unhealthy source. */
  error: string | null;
}

/** What the status section reads from the daemon and its metrics; main passes the real ones. */
export interface DaemonStatusSource {
  version: string;
  startMs: number;
  isReady(): boolean;
  roomCount(): number;
  configuredQps(): number;
  effectiveQps(): number;
  limiterQueue(): number;
  pollIntervalSeconds(): number;
  cycleSummary(): { completed: number; lastDurationSeconds?: number; lastCompletedMs?: number; overruns: number };
  latestEventId(): number;
}

/** Today: one account ("default"), one discovery source ("config", always healthy), no cluster. */
export function daemonStatus(src: DaemonStatusSource): DaemonStatus {
  const cycles = src.cycleSummary();
  const rooms = src.roomCount();
  return {
    version: src.version,
    ready: src.isReady(),
    role: 'single',
    startTime: new Date(src.startMs).toISOString(),
    rooms,
    accounts: [{ account: 'default', configuredQps: src.configuredQps(), effectiveQps: src.effectiveQps(), limiterQueue: src.limiterQueue() }],
    cycles: {
      completed: cycles.completed,
      lastDurationSeconds: cycles.lastDurationSeconds ?? null,
      lastCompletedTime: cycles.lastCompletedMs === undefined ? null : new Date(cycles.lastCompletedMs).toISOString(),
      overruns: cycles.overruns,
      pollIntervalSeconds: src.pollIntervalSeconds(),
    },
    discovery: [{ source: 'config', healthy: true, rooms, error: null }],
    latestEventId: src.latestEventId(),
  };
}
