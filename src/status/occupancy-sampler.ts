import { roomKey } from '../rooms/room-event';
import type { OccupancyHistory } from './occupancy-history';
import type { StatusRoom } from './rooms-query';

/**
 * Copies each room's counts into the history when the room has had a successful poll since the last
 * sample (read from the store's views on a timer, so the poller knows nothing of the status page). A room
 * that is down or not polled gets no new point: its chart shows the gap. Returns the rooms seen, so the
 * caller can drop state of rooms that are gone.
 */
export function sampleOccupancy(history: OccupancyHistory, rooms: Iterable<StatusRoom>): Set<string> {
  const seen = new Set<string>();
  for (const r of rooms) {
    const key = roomKey(r.appId, r.roomId);
    seen.add(key);
    if (r.lastSuccessMs === undefined) continue;
    const last = history.lastSampleMs(key);
    if (last !== undefined && last >= r.lastSuccessMs) continue;
    history.record(key, r.lastSuccessMs, r.totalUsers, r.totalInvisibleUsers);
  }
  history.retain(seen);
  return seen;
}
