import type { OccupancyHistory } from './occupancy-history';

/** What the sampler reads of a room. */
export interface RoomCounts {
  readonly lastSuccessMs?: number;
  readonly totalUsers: number;
  readonly totalInvisibleUsers: number;
}

/** The rooms under their roomKey() keys, and a number that changes whenever a room is added or removed. */
export interface OccupancySource {
  forEachRoom(visit: (room: RoomCounts, key: string) => void): void;
  roomSetVersion(): number;
  hasRoom(key: string): boolean;
}

/**
 * Copies each room's counts into the history when the room has had a successful poll since the last
 * sample (read from the store on a timer, so the poller knows nothing of the status page). A room that is
 * down or not polled gets no new point: its chart shows the gap.
 *
 * It runs on the event loop every few seconds over every room, so a room costs one map lookup: the keys
 * come from the source rather than being built again, and the set of rooms (to drop the state of rooms
 * that are gone) is collected only when the source says it changed. At 100,000 rooms a pass that built
 * each room's key, a decorated view and a set of all keys held the event loop for 330-550 ms every 5 s
 * (BENCHMARKS.md, issue #13 fourth pass).
 */
export class OccupancySampler {
  private seenVersion?: number;

  constructor(
    private readonly history: OccupancyHistory,
    private readonly source: OccupancySource,
  ) {}

  /** Sample every room. Returns the keys of all rooms when the set changed since the last call. */
  sample(): ReadonlySet<string> | undefined {
    const version = this.source.roomSetVersion();
    const keys = version !== this.seenVersion ? new Set<string>() : undefined;
    this.source.forEachRoom((room, key) => {
      keys?.add(key);
      // The history ignores a sample no newer than the room's last one.
      if (room.lastSuccessMs !== undefined) this.history.record(key, room.lastSuccessMs, room.totalUsers, room.totalInvisibleUsers);
    });
    if (keys) {
      this.history.retain(keys);
      this.seenVersion = version;
    }
    return keys;
  }
}
