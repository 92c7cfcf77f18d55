import type { RoomView } from '../rooms/room-store';

/**
 * Per-room metric families read from the room state at scrape time, so a scrape never calls the vendor API
 * and a room removed by a reload disappears at once.
 *
 * They implement prom-client's metric shape (`name`, `get()`) directly instead of a Gauge with labels: a
 * labelled Gauge re-hashes every label set on each `set()`, which at 10,000 rooms x 11 families dominated
 * the scrape (see BENCHMARKS.md). Pure apart from reading the views it is given.
 */

type Kind = 'gauge' | 'counter';

interface FamilySpec {
  name: string;
  help: string;
  type: Kind;
  /** undefined = no sample for this room (e.g. capacity not configured, never polled). */
  value: (r: RoomView) => number | undefined;
}

/** No sample until the room has been polled (or restored): an exporter must not invent a 0. */
function known(r: RoomView, value: number): number | undefined {
  return r.exists === undefined ? undefined : value;
}

const ROOM_FAMILIES: FamilySpec[] = [
  { name: 'rtc_room_total_users', type: 'gauge', help: 'Users in the room (TotalUser) at the last successful poll.', value: (r) => known(r, r.totalUsers) },
  { name: 'rtc_room_total_invisible_users', type: 'gauge', help: 'Invisible users in the room (TotalInvisibleUser) at the last successful poll.', value: (r) => known(r, r.totalInvisibleUsers) },
  { name: 'rtc_room_exists', type: 'gauge', help: '1 if the room existed at the last successful poll, else 0.', value: (r) => (r.exists === undefined ? undefined : r.exists ? 1 : 0) },
  { name: 'rtc_room_up', type: 'gauge', help: '1 if the last poll of the room succeeded, else 0.', value: (r) => (r.up === undefined ? undefined : r.up ? 1 : 0) },
  { name: 'rtc_room_capacity', type: 'gauge', help: 'Configured capacity of the room (rooms[].capacity).', value: (r) => r.capacity },
  { name: 'rtc_room_last_success_timestamp_seconds', type: 'gauge', help: 'Unix time of the last successful poll of the room.', value: (r) => (r.lastSuccessMs === undefined ? undefined : r.lastSuccessMs / 1000) },
  { name: 'rtc_room_invisible_list_truncated', type: 'gauge', help: '1 if the last InvisibleUserList was shorter than TotalInvisibleUser (invisible leaves withheld).', value: (r) => known(r, r.invisibleTruncated ? 1 : 0) },
  { name: 'rtc_room_user_joins_total', type: 'counter', help: 'Join events emitted for the room.', value: (r) => r.joins },
  { name: 'rtc_room_user_leaves_total', type: 'counter', help: 'Leave events emitted for the room.', value: (r) => r.leaves },
  { name: 'rtc_room_visibility_changes_total', type: 'counter', help: 'Visibility change events emitted for the room.', value: (r) => r.visibilityChanges },
  { name: 'rtc_room_poll_failures_total', type: 'counter', help: 'Polls of the room that failed after retries.', value: (r) => r.pollFailures },
];

export const ROOM_METRIC_NAMES = ROOM_FAMILIES.map((f) => f.name);

interface Sample {
  labels: { app_id: string; room_id: string };
  value: number;
}

export class RoomFamily {
  readonly name: string;
  readonly help: string;
  readonly type: Kind;
  readonly aggregator = 'omit';

  constructor(
    private readonly spec: FamilySpec,
    private readonly rooms: () => Iterable<RoomView>,
  ) {
    this.name = spec.name;
    this.help = spec.help;
    this.type = spec.type;
  }

  get(): { name: string; help: string; type: Kind; aggregator: string; values: Sample[] } {
    const values: Sample[] = [];
    for (const r of this.rooms()) {
      const value = this.spec.value(r);
      if (value !== undefined) values.push({ labels: { app_id: r.appId, room_id: r.roomId }, value });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

export function roomFamilies(rooms: () => Iterable<RoomView>): RoomFamily[] {
  return ROOM_FAMILIES.map((spec) => new RoomFamily(spec, rooms));
}
