import type { RoomView } from '../store/room-store';

/**
 * Per-room metric families read from the room state at scrape time, so a scrape never calls the vendor API
 * and a room removed by a reload disappears at once.
 *
 * Rendered to exposition text here rather than through prom-client: at 10,000 rooms x 11 families,
 * prom-client's per-sample label objects, label formatting and the garbage they leave took ~325 ms a
 * scrape, during which no API request could start (BENCHMARKS.md, scrape cost).
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

/** Label value escaping of the Prometheus text format: backslash, double quote, newline. */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

/** HELP text escaping: backslash and newline. */
function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (c) => (c === '\n' ? '\\n' : '\\\\'));
}

/**
 * Renders the room families as Prometheus text (format 0.0.4), each block separated by a blank line.
 * Building `name{app_id="…",room_id="…"} ` for 110,000 samples was most of a 10,000-room scrape, so each
 * room's series prefixes are built once and kept for as long as the room's state object lives.
 */
export class RoomFamiliesRenderer {
  private readonly prefixes = new WeakMap<RoomView, string[]>();

  render(rooms: Iterable<RoomView>): string {
    const views = [...rooms];
    const prefixes = views.map((r) => this.prefixesOf(r));
    let out = '';
    ROOM_FAMILIES.forEach((spec, k) => {
      if (k > 0) out += '\n';
      out += `# HELP ${spec.name} ${escapeHelp(spec.help)}\n# TYPE ${spec.name} ${spec.type}\n`;
      for (let i = 0; i < views.length; i++) {
        const value = spec.value(views[i]!);
        if (value !== undefined) out += prefixes[i]![k]! + value + '\n';
      }
    });
    return out;
  }

  private prefixesOf(room: RoomView): string[] {
    let p = this.prefixes.get(room);
    if (!p) {
      const labels = `{app_id="${escapeLabelValue(room.appId)}",room_id="${escapeLabelValue(room.roomId)}"} `;
      p = ROOM_FAMILIES.map((f) => f.name + labels);
      this.prefixes.set(room, p);
    }
    return p;
  }
}
