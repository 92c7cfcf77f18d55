import type { RoomSnapshot } from '../volc/room-online-users';
import { diffMembership, EMPTY_MEMBERSHIP, Membership, membershipOf } from './membership-diff';
import { RoomEvent, roomKey } from './room-event';

export interface RoomSpec {
  appId: string;
  roomId: string;
  capacity?: number;
}

/** What sinks may read about a room (metrics at scrape time, the state file). */
export interface RoomView {
  readonly appId: string;
  readonly roomId: string;
  readonly capacity?: number;
  /** undefined until the first successful poll. */
  readonly exists?: boolean;
  readonly totalUsers: number;
  readonly totalInvisibleUsers: number;
  /** Whether the last poll succeeded; undefined before the first poll ends. */
  readonly up?: boolean;
  readonly lastSuccessMs?: number;
  readonly joins: number;
  readonly leaves: number;
  readonly visibilityChanges: number;
  readonly pollFailures: number;
  readonly invisibleTruncated: boolean;
  readonly membership: Membership;
  /** false until a baseline (first successful poll or loaded state) exists. */
  readonly baselined: boolean;
}

type RoomState = { -readonly [K in keyof RoomView]: RoomView[K] };

/** A room's remembered membership, as saved to and loaded from the state file. */
export interface SavedRoom {
  appId: string;
  roomId: string;
  exists: boolean;
  totalUsers: number;
  totalInvisibleUsers: number;
  lastSuccessMs?: number;
  visible: string[];
  invisible: string[];
}

export interface ApplyResult {
  events: RoomEvent[];
  /** The invisible list was shorter than TotalInvisibleUser (invisible leaves withheld). */
  truncated: boolean;
}

/**
 * Per-room state: the only mutable state in the daemon. Pollers write into it, sinks read from it.
 * A room that is not (or no longer) configured is ignored, so a poll that finishes after a reload removed
 * its room changes nothing.
 */
export class RoomStore {
  private readonly rooms = new Map<string, RoomState>();

  /** Make the configured set exactly `specs`, keeping the state of rooms that stay. */
  setRooms(specs: readonly RoomSpec[]): { added: number; removed: number } {
    const wanted = new Map(specs.map((s) => [roomKey(s.appId, s.roomId), s]));
    let removed = 0;
    for (const key of this.rooms.keys()) {
      if (!wanted.has(key)) {
        this.rooms.delete(key);
        removed++;
      }
    }
    let added = 0;
    for (const [key, spec] of wanted) {
      const existing = this.rooms.get(key);
      if (existing) {
        existing.capacity = spec.capacity;
      } else {
        this.rooms.set(key, freshRoom(spec));
        added++;
      }
    }
    return { added, removed };
  }

  get(appId: string, roomId: string): RoomView | undefined {
    return this.rooms.get(roomKey(appId, roomId));
  }

  views(): IterableIterator<RoomView> {
    return this.rooms.values();
  }

  size(): number {
    return this.rooms.size;
  }

  applySuccess(ref: { appId: string; roomId: string }, snap: RoomSnapshot, nowMs: number): ApplyResult {
    const room = this.rooms.get(roomKey(ref.appId, ref.roomId));
    if (!room) return { events: [], truncated: false };
    const truncated = snap.exists && snap.invisible.length < snap.totalInvisibleUsers;
    const next = snap.exists ? membershipOf(snap.visible, snap.invisible) : EMPTY_MEMBERSHIP;

    let events: RoomEvent[] = [];
    if (room.baselined) {
      const diff = diffMembership(room.membership, next, truncated ? { totalInvisible: snap.totalInvisibleUsers } : undefined);
      room.membership = diff.membership;
      const time = new Date(nowMs).toISOString();
      events = diff.changes.map((c) => ({ time, type: c.type, appId: room.appId, roomId: room.roomId, userId: c.userId, visibility: c.visibility }));
      for (const e of events) {
        if (e.type === 'join') room.joins++;
        else if (e.type === 'leave') room.leaves++;
        else room.visibilityChanges++;
      }
    } else {
      room.membership = next;
      room.baselined = true;
    }
    room.exists = snap.exists;
    room.totalUsers = snap.exists ? snap.totalUsers : 0;
    room.totalInvisibleUsers = snap.exists ? snap.totalInvisibleUsers : 0;
    room.invisibleTruncated = truncated;
    room.up = true;
    room.lastSuccessMs = nowMs;
    return { events, truncated };
  }

  /** A failed poll changes nothing but the room's health. */
  applyFailure(ref: { appId: string; roomId: string }): void {
    const room = this.rooms.get(roomKey(ref.appId, ref.roomId));
    if (!room) return;
    room.up = false;
    room.pollFailures++;
  }

  /** Snapshot of what must survive a restart, for configured rooms with a baseline. */
  save(): SavedRoom[] {
    const out: SavedRoom[] = [];
    for (const r of this.rooms.values()) {
      if (!r.baselined) continue;
      out.push({
        appId: r.appId,
        roomId: r.roomId,
        exists: r.exists ?? false,
        totalUsers: r.totalUsers,
        totalInvisibleUsers: r.totalInvisibleUsers,
        lastSuccessMs: r.lastSuccessMs,
        visible: [...r.membership.visible],
        invisible: [...r.membership.invisible],
      });
    }
    return out;
  }

  /**
   * Use saved rooms as the baseline, so the first poll after a restart reports what changed while the
   * daemon was down. Rooms no longer configured are skipped. Returns how many were restored.
   */
  restore(saved: readonly SavedRoom[]): number {
    let restored = 0;
    for (const s of saved) {
      const room = this.rooms.get(roomKey(s.appId, s.roomId));
      if (!room || room.baselined) continue;
      room.membership = membershipOf(s.visible, s.invisible);
      room.baselined = true;
      room.exists = s.exists;
      room.totalUsers = s.totalUsers;
      room.totalInvisibleUsers = s.totalInvisibleUsers;
      room.lastSuccessMs = s.lastSuccessMs;
      restored++;
    }
    return restored;
  }
}

function freshRoom(spec: RoomSpec): RoomState {
  return {
    appId: spec.appId,
    roomId: spec.roomId,
    capacity: spec.capacity,
    exists: undefined,
    totalUsers: 0,
    totalInvisibleUsers: 0,
    up: undefined,
    lastSuccessMs: undefined,
    joins: 0,
    leaves: 0,
    visibilityChanges: 0,
    pollFailures: 0,
    invisibleTruncated: false,
    membership: EMPTY_MEMBERSHIP,
    baselined: false,
  };
}
