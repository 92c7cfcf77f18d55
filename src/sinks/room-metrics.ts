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
  { name: 'rtc_room_visible_list_truncated', type: 'gauge', help: '1 if the last VisibleUserList was shorter than TotalUser - TotalInvisibleUser (leaves withheld).', value: (r) => known(r, r.visibleTruncated ? 1 : 0) },
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

/** Rooms per chunk: the unit of re-rendering (and of compression, see http/compress.ts). */
export const CHUNK_ROOMS = 256;
const FAMILIES = ROOM_FAMILIES.length;
const ALL_DIRTY = (1 << FAMILIES) - 1;

/** A run of consecutive rooms in scrape order, with the values and text last rendered for them. */
interface Chunk {
  size: number;
  appIds: string[];
  roomIds: string[];
  /** `{app_id="…",room_id="…"} ` per room. */
  labels: string[];
  /** values[slot * FAMILIES + k]; null = never rendered. */
  values: Array<number | undefined | null>;
  /** Text of this chunk's samples, per family; a new object when the text changes. */
  blocks: TextPiece[];
  /** Bit k set: family k's block must be rendered again. */
  dirty: number;
}

function newChunk(): Chunk {
  return { size: 0, appIds: [], roomIds: [], labels: [], values: [], blocks: new Array<TextPiece>(FAMILIES).fill(EMPTY), dirty: ALL_DIRTY };
}

/**
 * A piece of the exposition. The same object is handed out for as long as its text is unchanged, so a
 * consumer can cache what it derives from the text (http/compress.ts keeps the compressed form).
 */
export interface TextPiece {
  readonly text: string;
}

const EMPTY: TextPiece = { text: '' };
/** A piece with no text (a family with no samples is left out whole). */
export const EMPTY_PIECE = EMPTY;

/** `# HELP` and `# TYPE` of each family; every family after the first starts with the blank line that separates it. */
const HEADERS: TextPiece[] = ROOM_FAMILIES.map((spec, k) => ({ text: `${k > 0 ? '\n' : ''}# HELP ${spec.name} ${escapeHelp(spec.help)}\n# TYPE ${spec.name} ${spec.type}\n` }));

/**
 * Renders the room families as Prometheus text (format 0.0.4), each block separated by a blank line.
 *
 * Incremental: rooms are cut into chunks of CHUNK_ROOMS in scrape order, and each (chunk, family) block of
 * text is kept and rendered again only when a value in it changed since the last scrape (compared value by
 * value, so it works whether or not the store hands out the same view objects), or the chunk's rooms did.
 * Between two scrapes only the rooms polled meanwhile change, and polls go in room order, so a 10,000-room
 * scrape re-renders a few chunks of a few families instead of 110,000 samples. An unchanged block is the
 * same object as last time, which lets the gzip cache (http/compress.ts) skip it too.
 */
export class RoomFamiliesRenderer {
  private chunks: Chunk[] = [];

  constructor(private readonly chunkRooms = CHUNK_ROOMS) {}

  render(rooms: Iterable<RoomView>): string {
    return this.segments(rooms)
      .map((p) => p.text)
      .join('');
  }

  /** The exposition as ordered pieces of text; unchanged pieces are the same objects as the last call's. */
  segments(rooms: Iterable<RoomView>): TextPiece[] {
    let c = 0;
    let slot = 0;
    let chunk: Chunk | undefined;
    for (const room of rooms) {
      if (slot === 0) chunk = this.chunks[c] ??= newChunk();
      this.update(chunk!, slot, room);
      if (++slot === this.chunkRooms) {
        this.close(chunk!, slot);
        c++;
        slot = 0;
      }
    }
    if (slot > 0) {
      this.close(chunk!, slot);
      c++;
    }
    this.chunks.length = c;

    for (const ch of this.chunks) {
      if (ch.dirty === 0) continue;
      for (let k = 0; k < FAMILIES; k++) if (ch.dirty & (1 << k)) ch.blocks[k] = renderBlock(ch, k);
      ch.dirty = 0;
    }
    const out: TextPiece[] = [];
    for (let k = 0; k < FAMILIES; k++) {
      out.push(HEADERS[k]!);
      for (const ch of this.chunks) if (ch.blocks[k] !== EMPTY) out.push(ch.blocks[k]!);
    }
    return out;
  }

  private update(chunk: Chunk, slot: number, room: RoomView): void {
    const base = slot * FAMILIES;
    if (slot >= chunk.size || chunk.appIds[slot] !== room.appId || chunk.roomIds[slot] !== room.roomId) {
      chunk.appIds[slot] = room.appId;
      chunk.roomIds[slot] = room.roomId;
      chunk.labels[slot] = `{app_id="${escapeLabelValue(room.appId)}",room_id="${escapeLabelValue(room.roomId)}"} `;
      chunk.dirty = ALL_DIRTY;
      for (let k = 0; k < FAMILIES; k++) chunk.values[base + k] = ROOM_FAMILIES[k]!.value(room);
      return;
    }
    for (let k = 0; k < FAMILIES; k++) {
      const v = ROOM_FAMILIES[k]!.value(room);
      if (v !== chunk.values[base + k]) {
        chunk.values[base + k] = v;
        chunk.dirty |= 1 << k;
      }
    }
  }

  /** The chunk now holds `size` rooms; a chunk that lost rooms at its end renders again. */
  private close(chunk: Chunk, size: number): void {
    if (size !== chunk.size) {
      chunk.dirty = ALL_DIRTY;
      chunk.size = size;
      chunk.appIds.length = chunk.roomIds.length = chunk.labels.length = size;
      chunk.values.length = size * FAMILIES;
    }
  }
}

function renderBlock(chunk: Chunk, k: number): TextPiece {
  const name = ROOM_FAMILIES[k]!.name;
  let out = '';
  for (let slot = 0; slot < chunk.size; slot++) {
    const value = chunk.values[slot * FAMILIES + k];
    if (value !== undefined && value !== null) out += name + chunk.labels[slot]! + value + '\n';
  }
  return out === '' ? EMPTY : { text: out };
}
