import type { RoomSnapshot } from '../volc/room-online-users';
import { Members, Membership, MemberChange } from '../rooms/membership-diff';
import { RoomEvent, roomKey } from '../rooms/room-event';
import { BASELINE_MISSING_CODE, StateWriteError } from './store';
import type { Fence, PollCommit, StateStore, StoredRoom } from './store';
import type { MemberCallback } from '../callbacks/member-callback';
import { planCallbacks, RecentChanges, RECORD_TTL_MS, reconcileBaseline, reconcilePoll } from '../rooms/member-reconcile';
import type { MemberRecord } from '../rooms/change-order';
import { RoomLocks } from './room-locks';
import { callbackCommit, commitAll } from './callback-commit';

/** Rooms whose committed baselines are read at once by loadPending. */
const LOAD_BATCH = 100;

export interface RoomSpec {
  appId: string;
  roomId: string;
  capacity?: number;
}

/** What sinks may read about a room (metrics at scrape time, a status page). */
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
  /** The last VisibleUserList was shorter than TotalUser − TotalInvisibleUser (leaves withheld). */
  readonly visibleTruncated: boolean;
  readonly membership: Membership;
  /** false until a baseline (first committed poll or loaded state) exists. */
  readonly baselined: boolean;
}

/** The store's own record of a room: RoomView, writable, holding the Members it updates in place. */
type RoomState = { -readonly [K in Exclude<keyof RoomView, 'membership'>]: RoomView[K] } & {
  membership: Members;
  /** With callbacks on: each member's recent change with its time (member-reconcile.ts). */
  recent?: RecentChanges;
};

export interface ApplyResult {
  events: RoomEvent[];
  /** A list was shorter than its count (the invisible or the visible one): leaves withheld. */
  truncated: boolean;
  /** With callbacks on: changes this poll found that no callback had reported (a real miss). */
  corrections: number;
}

/** With vendor callbacks on: how a poll and a callback's change are ordered (callbacks.reconcileGraceMs). */
export interface CallbackOrdering {
  graceMs: number;
}

/**
 * Per-room state: the in-memory view of the rooms (metrics read it at scrape time) in front of the
 * durable StateStore. A poll's result is committed to the StateStore first (member changes and events in
 * one transaction); only then does the view move ahead, so after a failed commit the next poll diffs
 * against what was committed. A room that is not (or no longer) configured is ignored, so a poll that
 * finishes after a reload removed its room changes nothing.
 */
export class RoomStore {
  private readonly rooms = new Map<string, RoomState>();
  /** Rooms added since the last loadPending(): their committed baseline (if any) is not read yet. */
  private readonly pending = new Set<string>();
  /** Changes whenever a room is added or removed. */
  private setVersion = 0;

  /** With callbacks: one commit at a time per room (a poll and a callback must not diff the same state). */
  private readonly locks?: RoomLocks;

  /**
   * `fence` gives the token each write carries (Leadership.token(): the leader's fencing token, undefined
   * while not leading); the store, not this class, decides what a stale one means. `callbacks`: vendor
   * callbacks are on (member change times, one commit at a time per room).
   */
  constructor(
    private readonly state: StateStore,
    private readonly fence: () => Fence,
    private readonly callbacks?: CallbackOrdering,
  ) {
    if (callbacks) this.locks = new RoomLocks();
  }

  /** Runs `fn` once the rooms' previous commits settled (with callbacks on; otherwise at once). */
  private serialMany<T>(keys: readonly string[], fn: () => Promise<T>): Promise<T> {
    return this.locks ? this.locks.run(keys, fn) : fn();
  }

  /** Make the configured set exactly `specs`, keeping the state of rooms that stay. */
  setRooms(specs: readonly RoomSpec[]): { added: number; removed: number } {
    const wanted = new Map(specs.map((s) => [roomKey(s.appId, s.roomId), s]));
    const dropped: string[] = [];
    for (const key of this.rooms.keys()) {
      if (!wanted.has(key)) {
        this.rooms.delete(key);
        this.pending.delete(key);
        dropped.push(key);
      }
    }
    const removed = dropped.length;
    let added = 0;
    for (const [key, spec] of wanted) {
      const existing = this.rooms.get(key);
      if (existing) {
        existing.capacity = spec.capacity;
      } else {
        this.rooms.set(key, freshRoom(spec));
        this.pending.add(key);
        added++;
      }
    }
    if (added + removed > 0) this.setVersion++;
    // Housekeeping only: a stale row for a removed room is harmless, so a failure here is not surfaced.
    // Fenced like every write: a standby's (refused) retention must not delete the leader's rooms.
    if (removed > 0) this.state.forgetRooms(dropped, this.fence()).catch(() => undefined);
    return { added, removed };
  }

  get(appId: string, roomId: string): RoomView | undefined {
    return this.rooms.get(roomKey(appId, roomId));
  }

  views(): IterableIterator<RoomView> {
    return this.rooms.values();
  }

  /** Each room with its roomKey() key, without building either (a status page sampler runs this over every room). */
  forEachRoom(visit: (room: RoomView, key: string) => void): void {
    this.rooms.forEach((room, key) => visit(room, key));
  }

  /** Whether a room is configured, by its roomKey() key. */
  hasRoom(key: string): boolean {
    return this.rooms.has(key);
  }

  /** A number that changes whenever a room is added or removed (readers skip rebuilding a set of all rooms). */
  roomSetVersion(): number {
    return this.setVersion;
  }

  size(): number {
    return this.rooms.size;
  }

  /**
   * Commit a successful poll, then move the view ahead. Resolves with the committed events (with ids);
   * rejects with the StateStore's error when the commit failed, leaving the view untouched.
   */
  applySuccess(ref: { appId: string; roomId: string }, snap: RoomSnapshot, nowMs: number, sentMs: number = nowMs): Promise<ApplyResult> {
    const key = roomKey(ref.appId, ref.roomId);
    // Every poll comes here: without callbacks there is no lock, and no closure or key list to build for one.
    return this.locks ? this.locks.run([key], () => this.commitSuccess(key, snap, nowMs, sentMs)) : this.commitSuccess(key, snap, nowMs, sentMs);
  }

  /** The room, with its committed baseline read first when it is not yet (a restart, a leadership change). */
  private async loaded(key: string): Promise<RoomState | undefined> {
    const room = this.rooms.get(key);
    // Not read yet (a leadership change invalidated it while a cycle ran): the committed baseline first,
    // so this poll continues the log instead of starting a fresh baseline that would skip changes.
    if (room && !room.baselined && this.pending.has(key)) {
      const stored = await this.state.loadRoom(room.appId, room.roomId);
      this.pending.delete(key);
      if (stored) this.restore([stored]);
    }
    return this.rooms.get(key);
  }

  private async commitSuccess(key: string, snap: RoomSnapshot, nowMs: number, sentMs: number): Promise<ApplyResult> {
    const room = await this.loaded(key);
    if (!room) return { events: [], truncated: false, corrections: 0 };
    const invisibleTruncated = snap.exists && snap.invisible.length < snap.totalInvisibleUsers;
    // A short visible list is truncated too: its missing members may be in the unlisted part (issue #18).
    const totalVisible = Math.max(0, snap.totalUsers - snap.totalInvisibleUsers);
    const visibleTruncated = snap.exists && snap.visible.length < totalVisible;
    const truncated = invisibleTruncated || visibleTruncated;
    // Most polls of a room find the same members: an ordered comparison settles that without a lookup
    // (the profile's largest own cost with 1,000-member rooms was the diff). Not while truncated:
    // undecided members may be held there, so the full diff decides.
    const members = room.membership;
    const same = room.baselined && snap.exists && !truncated && members.sameAsListed(snap.visible, snap.invisible);
    const exists = snap.exists;
    const totalUsers = snap.exists ? snap.totalUsers : 0;
    const totalInvisibleUsers = snap.exists ? snap.totalInvisibleUsers : 0;

    // A room's first poll (or first after its state was lost) is its baseline: members as listed.
    let baseline: Members | undefined;
    let changes: MemberChange[] = [];
    let records: Map<string, MemberRecord> | undefined;
    const recent = this.callbacks ? (room.recent ??= new RecentChanges()) : undefined;
    const commit: PollCommit = { appId: room.appId, roomId: room.roomId, exists, totalUsers, totalInvisibleUsers, lastSuccessMs: nowMs, changes, events: [] };
    const time = new Date(nowMs).toISOString();
    const toEvents = (list: readonly MemberChange[]): PollCommit['events'] => list.map((c) => ({ time, type: c.type, appId: room.appId, roomId: room.roomId, userId: c.userId, visibility: c.visibility, source: 'poll' as const }));
    if (room.baselined && !same) {
      // Computed, not applied: the members move on only once the commit succeeded.
      changes = snap.exists ? members.diff(snap.visible, snap.invisible, truncated ? { totalInvisible: snap.totalInvisibleUsers, totalVisible } : undefined) : members.diff([], []);
      // With callbacks, a change newer than this poll's request (or a callback's within the grace) stands.
      if (recent) ({ kept: changes, records } = reconcilePoll(changes, recent, sentMs, this.callbacks!.graceMs));
      commit.changes = changes;
      commit.events = toEvents(changes);
    } else if (!room.baselined) {
      let visible: readonly string[] = snap.exists ? snap.visible : [];
      let invisible: readonly string[] = snap.exists ? snap.invisible : [];
      // Callbacks reached the room before its first poll: their events are in the log, so the baseline
      // keeps what it may not override and reports where it differs.
      if (recent && recent.size > 0) {
        const merged = reconcileBaseline(visible, invisible, recent, sentMs, this.callbacks!.graceMs);
        ({ visible, invisible, records } = merged);
        commit.events = toEvents(merged.changes);
      }
      baseline = Members.of(visible, invisible);
      commit.baseline = { visible: [...baseline.visible()], invisible: [...baseline.invisible()] };
    }
    // An unchanged room writes nothing: at steady state most polls cost no I/O at all.
    const unchanged = room.baselined && changes.length === 0 && commit.events.length === 0 && room.exists === exists && room.totalUsers === totalUsers && room.totalInvisibleUsers === totalInvisibleUsers;
    let events: RoomEvent[] = [];
    try {
      if (!unchanged) events = await this.state.commitPoll(commit, this.fence());
    } catch (err) {
      // The store lost the room's state: the next poll starts a fresh baseline there (changes meanwhile
      // are lost with the store's data; the log stays consistent).
      if (err instanceof StateWriteError && err.code === BASELINE_MISSING_CODE && this.rooms.get(key) === room) {
        room.baselined = false;
        room.membership = new Members();
      }
      throw err;
    }

    // A reload may have removed (or removed and re-added) the room while the commit ran.
    const corrections = this.callbacks ? events.length : 0;
    if (this.rooms.get(key) !== room) return { events, truncated, corrections };
    if (recent) {
      for (const [id, r] of records ?? []) recent.set(id, r);
      recent.prune(sentMs - RECORD_TTL_MS);
    }
    if (baseline) {
      room.membership = baseline;
    } else {
      members.apply(changes);
      // A complete answer in another order than the map's (a restore, a server that reorders): take its
      // order, so the next unchanged answer takes the fast path.
      if (!same && snap.exists && !truncated) members.adoptOrder(snap.visible, snap.invisible);
      room.membership = members;
    }
    room.baselined = true;
    for (const e of events) {
      if (e.type === 'join') room.joins++;
      else if (e.type === 'leave') room.leaves++;
      else room.visibilityChanges++;
    }
    room.exists = exists;
    room.totalUsers = totalUsers;
    room.totalInvisibleUsers = totalInvisibleUsers;
    room.invisibleTruncated = invisibleTruncated;
    room.visibleTruncated = visibleTruncated;
    room.up = true;
    room.lastSuccessMs = nowMs;
    return { events, truncated, corrections };
  }

  /**
   * Commit one room's batch of vendor callbacks (in arrival order) through the same door as a poll: the
   * changes they make against each member's recorded change (stale ones make none), their events with
   * source `callback` and the callback's own time, and their EventIds. Between polls the room's gauges
   * follow the callbacks. Resolves with the committed events and each callback's result; rejects like a
   * poll's commit. A room that is not configured (a reload removed it) takes nothing.
   */
  applyCallbacks(ref: { appId: string; roomId: string }, items: readonly { eventId: string; callback: MemberCallback }[]): Promise<{ events: RoomEvent[]; results: ('accepted' | 'stale')[] }> {
    return this.applyCallbackBatch([{ ref, items }]).then((r) => r[0]!);
  }

  /**
   * applyCallbacks for several rooms at once, committed together (one transaction where the store can:
   * SQLite), so a burst of callbacks over many rooms costs one commit, not one per room. Rejects as a
   * whole when the commit fails.
   */
  applyCallbackBatch(batch: readonly { ref: { appId: string; roomId: string }; items: readonly { eventId: string; callback: MemberCallback }[] }[]): Promise<{ events: RoomEvent[]; results: ('accepted' | 'stale')[] }[]> {
    const keys = batch.map((b) => roomKey(b.ref.appId, b.ref.roomId));
    return this.serialMany(keys, async () => {
      const ordering = this.callbacks;
      const planned: { room: RoomState | undefined; plan?: ReturnType<typeof planCallbacks>; commit?: PollCommit }[] = [];
      for (const [i, { items }] of batch.entries()) {
        const room = await this.loaded(keys[i]!);
        if (!room || !ordering) {
          planned.push({ room: undefined });
          continue;
        }
        const plan = planCallbacks(room.membership, room.recent, items.map((x) => x.callback), ordering.graceMs);
        planned.push({ room, plan, commit: callbackCommit(room, plan, items.map((x) => x.eventId)) });
      }
      const commits = planned.flatMap((p) => (p.commit ? [p.commit] : []));
      const committed = commits.length === 0 ? [] : await commitAll(this.state, commits, this.fence());
      let next = 0;
      return planned.map(({ room, plan, commit }, i) => {
        if (!room || !plan || !commit) return { events: [], results: batch[i]!.items.map(() => 'accepted' as const) };
        const events = committed[next++] ?? [];
        // A reload may have removed (or removed and re-added) the room while the commit ran.
        if (this.rooms.get(keys[i]!) !== room) return { events, results: plan.results };
        room.membership.apply(plan.changes);
        const recent = (room.recent ??= new RecentChanges());
        for (const [id, r] of plan.records) recent.set(id, r);
        for (const e of events) {
          if (e.type === 'join') room.joins++;
          else if (e.type === 'leave') room.leaves++;
          else room.visibilityChanges++;
        }
        room.exists = commit.exists;
        room.totalUsers = commit.totalUsers;
        room.totalInvisibleUsers = commit.totalInvisibleUsers;
        return { events, results: plan.results };
      });
    });
  }


  /** A failed poll changes nothing but the room's health. */
  applyFailure(ref: { appId: string; roomId: string }): void {
    const room = this.rooms.get(roomKey(ref.appId, ref.roomId));
    if (!room) return;
    room.up = false;
    room.pollFailures++;
  }

  /**
   * Forget the in-memory baselines. A replica that becomes leader does this, since another leader may have
   * committed meanwhile. `from: 'committed'` (a shared store): every room reads its committed baseline
   * again (loadPending, or its next poll) and continues the log. `from: 'empty'` (a store of this replica
   * only, which missed the other leaders' commits): every room's next poll is a fresh baseline without
   * events, so nothing is reported twice against a stale baseline.
   */
  invalidate(from: 'committed' | 'empty' = 'committed'): void {
    for (const [key, room] of this.rooms) {
      room.baselined = false;
      room.membership = new Members();
      if (from === 'committed') this.pending.add(key);
      else this.pending.delete(key);
    }
  }

  /**
   * Read the committed baseline of every room added since the last call (at start: every room), so the
   * first poll after a restart, or of a room that comes back, reports what changed meanwhile. A room
   * already polled is left alone. Resolves with how many were restored; on a read failure the rooms not
   * yet read stay pending (the caller may try again; a poll before that makes a fresh baseline).
   */
  async loadPending(): Promise<number> {
    const keys = [...this.pending];
    let restored = 0;
    // Reads in parallel batches (a shared store answers over the network; a takeover reads every room),
    // and each batch is applied before the next, so a failure leaves only unread rooms pending.
    for (let i = 0; i < keys.length; i += LOAD_BATCH) {
      const batch = keys.slice(i, i + LOAD_BATCH);
      const found = await Promise.all(
        batch.map((key) => {
          const room = this.rooms.get(key);
          return room && !room.baselined ? this.state.loadRoom(room.appId, room.roomId) : undefined;
        }),
      );
      restored += this.restore(found.filter((r): r is StoredRoom => r !== undefined));
      for (const key of batch) this.pending.delete(key);
    }
    return restored;
  }

  private restore(saved: readonly StoredRoom[]): number {
    let restored = 0;
    for (const s of saved) {
      const room = this.rooms.get(roomKey(s.appId, s.roomId));
      if (!room || room.baselined) continue;
      room.membership = Members.of(s.visible, s.invisible);
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
    visibleTruncated: false,
    membership: new Members(),
    baselined: false,
  };
}
