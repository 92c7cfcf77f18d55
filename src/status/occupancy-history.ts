/** One point of a room's occupancy chart. */
export interface OccupancySample {
  /** Unix milliseconds of the poll that saw these counts (whole seconds). */
  timeMs: number;
  totalUsers: number;
  invisibleUsers: number;
}

export interface OccupancyHistoryOptions {
  /** How far back a room's chart reaches. */
  windowMs: number;
  /** One point per bucket of this length (the last sample in a bucket wins). */
  bucketMs: number;
}

export const DEFAULT_OCCUPANCY: OccupancyHistoryOptions = { windowMs: 60 * 60_000, bucketMs: 60_000 };

/** Per point: Unix seconds, total users, invisible users. */
const FIELDS = 3;

/**
 * A fixed ring per room in one Uint32Array, so the default hour of one point a minute costs about 1 kB a
 * room (10 MB for 10,000 rooms) and no garbage once allocated.
 */
interface Ring {
  points: Uint32Array;
  /** Index of the newest point; -1 when empty. */
  head: number;
  /** Points written so far, up to the ring's length. */
  filled: number;
  lastSampleMs: number;
}

/**
 * The last hour of each room's occupancy, in memory, bounded: at most windowMs / bucketMs + 1 points per
 * room, allocated on a room's first sample and dropped with the room. Pure: the caller passes the times.
 */
export class OccupancyHistory {
  private readonly rooms = new Map<string, Ring>();
  private readonly length: number;

  constructor(private readonly opts: OccupancyHistoryOptions = DEFAULT_OCCUPANCY) {
    if (!(opts.bucketMs > 0) || !(opts.windowMs >= opts.bucketMs)) throw new RangeError('need 0 < bucketMs <= windowMs');
    this.length = Math.ceil(opts.windowMs / opts.bucketMs) + 1;
  }

  /** Record what a successful poll at `timeMs` saw. Samples not newer than the room's newest are ignored. */
  record(key: string, timeMs: number, totalUsers: number, invisibleUsers: number): void {
    let ring = this.rooms.get(key);
    if (!ring) {
      ring = { points: new Uint32Array(this.length * FIELDS), head: -1, filled: 0, lastSampleMs: -Infinity };
      this.rooms.set(key, ring);
    }
    if (timeMs <= ring.lastSampleMs) return;
    const bucket = Math.floor(timeMs / this.opts.bucketMs);
    const sameBucket = ring.head >= 0 && Math.floor(ring.lastSampleMs / this.opts.bucketMs) === bucket;
    if (!sameBucket) {
      ring.head = (ring.head + 1) % this.length;
      ring.filled = Math.min(ring.filled + 1, this.length);
    }
    const at = ring.head * FIELDS;
    ring.points[at] = Math.floor(timeMs / 1000);
    ring.points[at + 1] = totalUsers;
    ring.points[at + 2] = invisibleUsers;
    ring.lastSampleMs = timeMs;
  }

  /** The room's points within the window ending at `nowMs`, oldest first. */
  series(key: string, nowMs: number): OccupancySample[] {
    const ring = this.rooms.get(key);
    if (!ring || ring.head < 0) return [];
    const from = nowMs - this.opts.windowMs;
    const out: OccupancySample[] = [];
    for (let back = ring.filled - 1; back >= 0; back--) {
      const at = ((ring.head - back + this.length) % this.length) * FIELDS;
      const timeMs = ring.points[at]! * 1000;
      if (timeMs < from || timeMs > nowMs) continue;
      out.push({ timeMs, totalUsers: ring.points[at + 1]!, invisibleUsers: ring.points[at + 2]! });
    }
    return out;
  }

  /** Drop the history of rooms not in `keep` (removed from the config or retired by discovery). */
  retain(keep: ReadonlySet<string>): void {
    for (const key of this.rooms.keys()) if (!keep.has(key)) this.rooms.delete(key);
  }

  size(): number {
    return this.rooms.size;
  }
}
