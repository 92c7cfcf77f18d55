import type { RoomEvent } from '../rooms/room-event';
import { roomKey } from '../rooms/room-event';
import { CALLBACK_ID_RETENTION_MS, CommitNotifier, Fence, FenceCheck, PollCommit, PRUNE_EVERY_MS, rejectStale, RetentionPolicy, SINGLE_WRITER, StateStore, StoredRoom } from './store';

interface MemRoom extends Omit<StoredRoom, 'visible' | 'invisible'> {
  /** userId → true when invisible. */
  members: Map<string, boolean>;
}

/**
 * The memory-only store (`state.backend: memory`): same contract as the durable ones, nothing survives a
 * restart. Events still get ids and a bounded log, so the pull API and the sinks work the same way.
 */
export class MemoryStore implements StateStore {
  readonly description = 'memory';
  private readonly rooms = new Map<string, MemRoom>();
  /** The log, oldest first; ids are contiguous from `log[0].id`. */
  private log: { event: RoomEvent; atMs: number }[] = [];
  private nextId = 1;
  private readonly cursors = new Map<string, number>();
  /** Callback EventId → commit time, oldest first (a Map keeps insertion order). */
  private readonly callbackIds = new Map<string, number>();
  private readonly notifier = new CommitNotifier();
  private lastPruneMs: number;

  /** `fence` decides whether a writer's token is current (deployment.ts: the lease, or a single writer). */
  constructor(
    private readonly retention: RetentionPolicy,
    private readonly now: () => number = Date.now,
    private readonly fence: FenceCheck = SINGLE_WRITER,
  ) {
    this.lastPruneMs = now();
  }

  loadRooms(): Promise<StoredRoom[]> {
    const out: StoredRoom[] = [];
    for (const r of this.rooms.values()) {
      const visible: string[] = [];
      const invisible: string[] = [];
      for (const [id, inv] of r.members) (inv ? invisible : visible).push(id);
      out.push({ appId: r.appId, roomId: r.roomId, exists: r.exists, totalUsers: r.totalUsers, totalInvisibleUsers: r.totalInvisibleUsers, lastSuccessMs: r.lastSuccessMs, visible, invisible });
    }
    return Promise.resolve(out);
  }

  loadRoom(appId: string, roomId: string): Promise<StoredRoom | undefined> {
    const r = this.rooms.get(roomKey(appId, roomId));
    if (!r) return Promise.resolve(undefined);
    const visible: string[] = [];
    const invisible: string[] = [];
    for (const [id, inv] of r.members) (inv ? invisible : visible).push(id);
    return Promise.resolve({ appId: r.appId, roomId: r.roomId, exists: r.exists, totalUsers: r.totalUsers, totalInvisibleUsers: r.totalInvisibleUsers, lastSuccessMs: r.lastSuccessMs, visible, invisible });
  }

  commitPoll(c: PollCommit, fence: Fence): Promise<RoomEvent[]> {
    if (!this.fence.holds(fence)) return rejectStale(fence);
    const key = roomKey(c.appId, c.roomId);
    let room = this.rooms.get(key);
    if (!room || c.baseline) {
      room = { appId: c.appId, roomId: c.roomId, exists: c.exists, totalUsers: 0, totalInvisibleUsers: 0, members: new Map() };
      for (const id of c.baseline?.invisible ?? []) room.members.set(id, true);
      for (const id of c.baseline?.visible ?? []) room.members.set(id, false);
      this.rooms.set(key, room);
    }
    for (const ch of c.changes) {
      if (ch.type === 'leave') room.members.delete(ch.userId);
      else room.members.set(ch.userId, ch.visibility === 'invisible');
    }
    room.exists = c.exists;
    room.totalUsers = c.totalUsers;
    room.totalInvisibleUsers = c.totalInvisibleUsers;
    room.lastSuccessMs = c.lastSuccessMs;
    const atMs = this.now();
    for (const id of c.callbackIds ?? []) if (!this.callbackIds.has(id)) this.callbackIds.set(id, atMs);
    const committed = c.events.map((e) => ({ id: this.nextId++, ...e, source: e.source ?? 'poll' }));
    for (const event of committed) this.log.push({ event, atMs });
    if (committed.length > 0) {
      if (atMs - this.lastPruneMs >= PRUNE_EVERY_MS) {
        this.lastPruneMs = atMs;
        void this.prune(atMs, fence);
      }
      this.notifier.notify(this.nextId - 1);
    }
    return Promise.resolve(committed);
  }

  forgetRooms(keys: readonly string[], fence: Fence): Promise<void> {
    if (!this.fence.holds(fence)) return rejectStale(fence);
    for (const key of keys) this.rooms.delete(key);
    return Promise.resolve();
  }

  readEvents(afterId: number, limit: number): Promise<RoomEvent[]> {
    const first = this.log[0]?.event.id ?? this.nextId;
    const start = Math.max(0, afterId + 1 - first);
    return Promise.resolve(this.log.slice(start, start + Math.max(0, limit)).map((x) => x.event));
  }

  lastEventId(): Promise<number> {
    return Promise.resolve(this.nextId - 1);
  }

  continueIdsAfter(id: number, fence: Fence): Promise<void> {
    if (!this.fence.holds(fence)) return rejectStale(fence);
    if (this.log.length === 0) this.nextId = Math.max(this.nextId, id + 1);
    else if (id >= this.nextId) {
      // Keep the log's ids contiguous from its first entry: drop it (it is older than the ids to come).
      this.log = [];
      this.nextId = id + 1;
    }
    return Promise.resolve();
  }

  onCommitted(listener: (lastId: number) => void): () => void {
    return this.notifier.subscribe(listener);
  }

  getCursor(name: string): Promise<number | undefined> {
    return Promise.resolve(this.cursors.get(name));
  }

  setCursor(name: string, eventId: number, fence: Fence): Promise<void> {
    if (!this.fence.holds(fence)) return rejectStale(fence);
    this.cursors.set(name, Math.max(eventId, this.cursors.get(name) ?? eventId));
    return Promise.resolve();
  }

  recentCallbackIds(sinceMs: number): Promise<string[]> {
    const out: string[] = [];
    for (const [id, atMs] of this.callbackIds) if (atMs >= sinceMs) out.push(id);
    return Promise.resolve(out);
  }

  prune(nowMs: number, fence: Fence): Promise<number> {
    if (!this.fence.holds(fence)) return rejectStale(fence);
    for (const [id, atMs] of this.callbackIds) {
      if (atMs >= nowMs - CALLBACK_ID_RETENTION_MS) break;
      this.callbackIds.delete(id);
    }
    const before = this.log.length;
    const oldestKept = nowMs - this.retention.maxAgeSeconds * 1000;
    let drop = Math.max(0, this.log.length - this.retention.maxEvents);
    while (drop < this.log.length && this.log[drop]!.atMs < oldestKept) drop++;
    if (drop > 0) this.log = this.log.slice(drop);
    return Promise.resolve(before - this.log.length);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
