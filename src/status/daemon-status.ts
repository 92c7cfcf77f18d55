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

/**
 * Discovery as the page shows it: per source kind, the rooms it holds now and whether its last request
 * succeeded. The fixed list (`static`) has no requests, so it is always healthy.
 */
export function discoveryStatus(
  rooms: Iterable<{ readonly sources: readonly string[]; readonly retiredAtMs?: number }>,
  health: ReadonlyMap<string, { healthy: boolean }>,
): DiscoveryStatus[] {
  const counts = new Map<string, number>();
  for (const kind of health.keys()) counts.set(kind, 0);
  for (const r of rooms) {
    if (r.retiredAtMs !== undefined) continue;
    for (const s of r.sources) counts.set(s, (counts.get(s) ?? 0) + 1);
  }
  return [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([source, n]) => ({ source, healthy: health.get(source)?.healthy ?? true, rooms: n, error: null }));
}

/** What the status section reads from the daemon and its metrics; main passes the real ones. */
export interface DaemonStatusSource {
  version: string;
  startMs: number;
  isReady(): boolean;
  roomCount(): number;
  /** `single` without cluster mode; `leader` / `standby` with it. */
  role(): DaemonStatus['role'];
  /** Per account: configured and effective GetRoomOnlineUsers rate, requests waiting for its limiter. */
  accounts(): AccountStatus[];
  /** Per discovery source kind (the fixed list is "static"): rooms it holds, whether it works now. */
  discovery(): DiscoveryStatus[];
  pollIntervalSeconds(): number;
  cycleSummary(): { completed: number; lastDurationSeconds?: number; lastCompletedMs?: number; overruns: number };
  latestEventId(): number;
}

/** The status section's JSON. */
export function daemonStatus(src: DaemonStatusSource): DaemonStatus {
  const cycles = src.cycleSummary();
  const rooms = src.roomCount();
  return {
    version: src.version,
    ready: src.isReady(),
    role: src.role(),
    startTime: new Date(src.startMs).toISOString(),
    rooms,
    accounts: src.accounts(),
    cycles: {
      completed: cycles.completed,
      lastDurationSeconds: cycles.lastDurationSeconds ?? null,
      lastCompletedTime: cycles.lastCompletedMs === undefined ? null : new Date(cycles.lastCompletedMs).toISOString(),
      overruns: cycles.overruns,
      pollIntervalSeconds: src.pollIntervalSeconds(),
    },
    discovery: src.discovery(),
    latestEventId: src.latestEventId(),
  };
}
