import { roomKey } from '../rooms/room-event';
import type { RoomSpec } from '../store/room-store';

/**
 * The one set of rooms to poll, fed by every discovery source, with where each room came from and when it
 * retires. Sources write here and never call the poller; each poll cycle reads `active()` at its start.
 * Pure apart from the times it is given.
 *
 * A room is active while a list source holds it (the fixed `rooms:`, a file, an HTTP endpoint) or while
 * ListRoomInfo has seen a live call in it that GetRoomOnlineUsers has not yet reported gone. When neither
 * holds, the room is retired: it is no longer polled, its series stay (at their last values) for
 * retireAfterMs so graphs end cleanly, then it leaves the exported set. A retired room that comes back
 * (a new call, back in a file) is active again with its state intact.
 */

/** Source kinds, as exported in the `source` label. */
export type SourceKind = 'static' | 'list_room_info' | 'file' | 'http' | 'callback';

export interface SourceRoom {
  appId: string;
  roomId: string;
  account: string;
  capacity?: number;
  labels?: Readonly<Record<string, string>>;
}

export interface RegistryRoom {
  readonly appId: string;
  readonly roomId: string;
  readonly account: string;
  readonly capacity?: number;
  /** Labels from every source that lists the room (later sources do not override earlier ones). */
  readonly labels: Readonly<Record<string, string>>;
  /** Source kinds that currently hold the room, sorted. */
  readonly sources: readonly SourceKind[];
  /** Set while retired. */
  readonly retiredAtMs?: number;
}

interface Entry {
  appId: string;
  roomId: string;
  /**
   * The account ListRoomInfo found the room with (or the first source's, until one does). The account
   * polled is accountOf(entry): a list source's wins over this, so a reload that moves a room (or its
   * app) to another account moves its polls there too.
   */
  account: string;
  /** List sources holding the room, by source name (e.g. "static", "file", "http:0"). */
  pins: Map<string, { kind: SourceKind; room: SourceRoom }>;
  /** ListRoomInfo saw a live call and no poll has said the room is gone since. */
  live: boolean;
  /** ListRoomInfo has listed the room at some point (kept in `sources` while retired). */
  discovered: boolean;
  /** A vendor callback has named the room at some point (kept in `sources` while retired). */
  calledBack: boolean;
  retiredAtMs?: number;
}

export interface RegistryChange {
  added: number;
  removed: number;
}

export class RoomRegistry {
  private readonly entries = new Map<string, Entry>();
  private retiredCount = 0;
  /** Bumped on every change of the exported set or its metadata, so readers can skip unchanged work. */
  private revision = 0;

  constructor(private retireAfterMs: number) {}

  setRetireAfter(ms: number): void {
    this.retireAfterMs = ms;
  }

  /** Rooms retired since start (a room retired twice counts twice). */
  retiredTotal(): number {
    return this.retiredCount;
  }

  version(): number {
    return this.revision;
  }

  /**
   * A list source's whole current list: its rooms are held, rooms it no longer lists lose its hold (and
   * retire unless another source holds them).
   */
  replace(source: string, kind: SourceKind, rooms: readonly SourceRoom[], nowMs: number, opts: { dropAtOnce?: boolean } = {}): RegistryChange {
    const wanted = new Map(rooms.map((r) => [roomKey(r.appId, r.roomId), r]));
    let added = 0;
    let removed = 0;
    for (const [key, entry] of this.entries) {
      if (entry.pins.has(source) && !wanted.has(key)) {
        entry.pins.delete(source);
        this.revision++;
        if (opts.dropAtOnce && !isActive(entry) && !entry.discovered) {
          // A fixed room taken out of the config leaves at once, as it always has: that is an edit, not
          // a room that ended.
          this.entries.delete(key);
          removed++;
        } else if (this.settle(entry, nowMs) === 'retired') removed++;
      }
    }
    for (const [key, room] of wanted) {
      const entry = this.entryFor(key, room);
      const before = entry.pins.get(source)?.room;
      if (!before || JSON.stringify(before) !== JSON.stringify(room)) this.revision++;
      const wasActive = isActive(entry);
      entry.pins.set(source, { kind, room });
      if (this.settle(entry, nowMs) === 'activated' || (!wasActive && isActive(entry))) added++;
    }
    return { added, removed };
  }

  /** ListRoomInfo saw a live call in the room. Returns true when that made the room active. */
  callLive(room: SourceRoom, nowMs: number): boolean {
    const entry = this.entryFor(roomKey(room.appId, room.roomId), room);
    if (entry.live) return false;
    const wasActive = isActive(entry);
    // The app may have moved to another account on reload: its new source finds the room again.
    entry.account = room.account;
    entry.live = true;
    entry.discovered = true;
    this.revision++;
    this.settle(entry, nowMs);
    return !wasActive;
  }

  /**
   * A vendor callback named the room: like a live call ListRoomInfo found, it keeps the room active until
   * a poll (or a RoomDestroy) says it is gone. Returns true when that made the room active.
   */
  callbackSeen(room: SourceRoom, nowMs: number): boolean {
    const entry = this.entryFor(roomKey(room.appId, room.roomId), room);
    if (!entry.calledBack) {
      entry.calledBack = true;
      this.revision++;
    }
    if (entry.live) return false;
    const wasActive = isActive(entry);
    entry.live = true;
    this.revision++;
    this.settle(entry, nowMs);
    return !wasActive;
  }

  /** Every call ListRoomInfo knew in the room has ended. */
  callsEnded(appId: string, roomId: string, nowMs: number): void {
    this.endLive(appId, roomId, nowMs);
  }

  /** An app is no longer discovered (removed on reload): its discovered rooms end. */
  endAppLive(appId: string, nowMs: number): void {
    for (const e of this.entries.values()) if (e.appId === appId && e.live) this.endLive(e.appId, e.roomId, nowMs);
  }

  /** A successful poll's answer: RoomExists false ends a discovered room (list sources keep theirs). */
  polled(appId: string, roomId: string, exists: boolean, nowMs: number): void {
    if (!exists) this.endLive(appId, roomId, nowMs);
  }

  /** Drop retired rooms whose series have been shown for retireAfterMs. Returns how many left. */
  expire(nowMs: number): number {
    let n = 0;
    for (const [key, entry] of this.entries) {
      if (entry.retiredAtMs !== undefined && nowMs - entry.retiredAtMs >= this.retireAfterMs) {
        this.entries.delete(key);
        this.revision++;
        n++;
      }
    }
    return n;
  }

  /** The rooms to poll now, in the order they were first registered. */
  active(): { appId: string; roomId: string; account: string }[] {
    const out: { appId: string; roomId: string; account: string }[] = [];
    for (const e of this.entries.values()) if (isActive(e)) out.push({ appId: e.appId, roomId: e.roomId, account: accountOf(e) });
    return out;
  }

  activeCount(): number {
    let n = 0;
    for (const e of this.entries.values()) if (isActive(e)) n++;
    return n;
  }

  /** What the room store must hold: active rooms and retired rooms whose series are still shown. */
  specs(): RoomSpec[] {
    return [...this.entries.values()].map((e) => {
      const capacity = firstDefined(e, (r) => r.capacity);
      return capacity === undefined ? { appId: e.appId, roomId: e.roomId } : { appId: e.appId, roomId: e.roomId, capacity };
    });
  }

  get(appId: string, roomId: string): RegistryRoom | undefined {
    const e = this.entries.get(roomKey(appId, roomId));
    return e && view(e);
  }

  /** Every room in the exported set (active and retired), for metrics at scrape time. */
  *rooms(): IterableIterator<RegistryRoom> {
    for (const e of this.entries.values()) yield view(e);
  }

  private entryFor(key: string, room: SourceRoom): Entry {
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { appId: room.appId, roomId: room.roomId, account: room.account, pins: new Map(), live: false, discovered: false, calledBack: false, retiredAtMs: undefined };
      this.entries.set(key, entry);
      this.revision++;
    }
    return entry;
  }

  private endLive(appId: string, roomId: string, nowMs: number): void {
    const entry = this.entries.get(roomKey(appId, roomId));
    if (!entry || !entry.live) return;
    entry.live = false;
    this.revision++;
    this.settle(entry, nowMs);
  }

  /** Moves an entry between active and retired after its holds changed. */
  private settle(entry: Entry, nowMs: number): 'activated' | 'retired' | 'unchanged' {
    const active = isActive(entry);
    if (active && entry.retiredAtMs !== undefined) {
      entry.retiredAtMs = undefined;
      this.revision++;
      return 'activated';
    }
    if (!active && entry.retiredAtMs === undefined) {
      entry.retiredAtMs = nowMs;
      this.retiredCount++;
      this.revision++;
      return 'retired';
    }
    return 'unchanged';
  }
}

function isActive(e: Entry): boolean {
  return e.live || e.pins.size > 0;
}

/** The first list source's account (the fixed `rooms:` are registered first), else ListRoomInfo's. */
function accountOf(e: Entry): string {
  return firstDefined(e, (r) => r.account) ?? e.account;
}

function firstDefined<T>(e: Entry, pick: (r: SourceRoom) => T | undefined): T | undefined {
  for (const { room } of e.pins.values()) {
    const v = pick(room);
    if (v !== undefined) return v;
  }
  return undefined;
}

function view(e: Entry): RegistryRoom {
  const labels: Record<string, string> = {};
  const kinds = new Set<SourceKind>();
  for (const { kind, room } of e.pins.values()) {
    kinds.add(kind);
    for (const [k, v] of Object.entries(room.labels ?? {})) if (!(k in labels)) labels[k] = v;
  }
  if (e.discovered) kinds.add('list_room_info');
  if (e.calledBack) kinds.add('callback');
  return {
    appId: e.appId,
    roomId: e.roomId,
    account: accountOf(e),
    capacity: firstDefined(e, (r) => r.capacity),
    labels,
    sources: [...kinds].sort(),
    retiredAtMs: e.retiredAtMs,
  };
}
