import type { Logger } from '../logger';
import type { EventSink } from '../polling/room-poller';
import type { RoomEvent } from '../rooms/room-event';
import { roomKey } from '../rooms/room-event';
import { CALLBACK_ID_RETENTION_MS } from '../store/store';
import type { VerifiedCallback } from './callback-check';
import type { MemberCallback } from './member-callback';
import type { CallbackIntake } from './callback-receiver';
import type { CallbackInbox } from './callback-inbox';

/** The store's door for callbacks (RoomStore.applyCallbackBatch): several rooms' callbacks, one commit. */
export interface CallbackCommitter {
  applyCallbackBatch(
    batch: readonly { ref: { appId: string; roomId: string }; items: readonly { eventId: string; callback: MemberCallback }[] }[],
  ): Promise<{ events: RoomEvent[]; results: ('accepted' | 'stale')[] }[]>;
}

export interface CallbackIntakeDeps {
  store: CallbackCommitter;
  /** Make the room one the daemon watches (a room first seen in a callback joins the registry); false: it cannot. */
  ensureRoom(appId: string, roomId: string): boolean;
  /** A room got callbacks: poll it again soon to confirm (callbacks.confirmAfterMs). */
  confirm(appId: string, roomId: string): void;
  /** Only the replica that commits may apply callbacks; elsewhere they go to the inbox, or are refused. */
  mayApply(): boolean;
  /** Cluster mode: a standby stores callbacks here for the leader (without one it answers 503). */
  inbox?: Pick<CallbackInbox, 'push'>;
  sink: EventSink;
  now(): number;
  logger: Logger;
}

interface Pending {
  verified: VerifiedCallback;
  resolve(result: 'accepted' | 'duplicate' | 'stale'): void;
  reject(err: unknown): void;
}

/** Refused because this replica does not commit (a standby): the receiver answers 503 and the vendor retries. */
export class NotLeaderError extends Error {
  override readonly name = 'NotLeaderError';
  constructor() {
    super('this replica is not the leader; callbacks are applied by the leader');
  }
}

/**
 * Verified callbacks into the store, in groups: whatever arrived while the previous group committed goes
 * in the next one (one commit per room per group), so a burst costs a commit per room, not per callback.
 * A submission resolves only after its group is committed, so the receiver's 200 means durably stored.
 * Repeats of an EventId are dropped here, against the ids committed in the last hour (loaded from the store
 * at start, so a restart does not forget them).
 */
export class CallbackIntakeQueue implements CallbackIntake {
  private queue: Pending[] = [];
  private running = false;
  /** EventId → when it was committed, oldest first. */
  private readonly seen = new Map<string, number>();
  /** EventIds in the queue or the group committing now → that submission's promise. */
  private readonly inFlight = new Map<string, Promise<'accepted' | 'duplicate' | 'stale'>>();

  constructor(private readonly deps: CallbackIntakeDeps) {}

  /** Ids the store already committed (recentCallbackIds), so their repeats are known after a restart. */
  remember(ids: readonly string[]): void {
    const now = this.deps.now();
    for (const id of ids) this.seen.set(id, now);
  }

  submit(verified: VerifiedCallback): Promise<'accepted' | 'duplicate' | 'stale'> {
    if (!this.deps.mayApply()) {
      if (this.seen.has(verified.eventId)) return Promise.resolve('duplicate');
      // A standby: stored for the leader, which applies it (and drops it if it is a repeat).
      if (this.deps.inbox) return this.deps.inbox.push(verified).then(() => 'accepted' as const);
      return Promise.reject(new NotLeaderError());
    }
    return this.apply(verified);
  }

  /** Commit a callback here (the leader), whoever received it: the inbox's entries come this way too. */
  apply(verified: VerifiedCallback): Promise<'accepted' | 'duplicate' | 'stale'> {
    if (this.seen.has(verified.eventId)) return Promise.resolve('duplicate');
    const same = this.inFlight.get(verified.eventId);
    if (same) return same.then(() => 'duplicate' as const);
    const promise = new Promise<'accepted' | 'duplicate' | 'stale'>((resolve, reject) => this.queue.push({ verified, resolve, reject }));
    this.inFlight.set(verified.eventId, promise);
    if (!this.running) void this.drain();
    return promise;
  }

  /** Commits groups until the queue is empty. Never rejects: each submission settles on its own. */
  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0) {
        const group = this.queue;
        this.queue = [];
        await this.commitGroup(group);
        this.forgetOld();
      }
    } finally {
      this.running = false;
    }
  }

  private async commitGroup(group: Pending[]): Promise<void> {
    const byRoom = new Map<string, Pending[]>();
    for (const p of group) {
      const { appId, callback } = p.verified;
      const key = roomKey(appId, callback.roomId);
      const list = byRoom.get(key);
      if (list) list.push(p);
      else byRoom.set(key, [p]);
    }
    const settle = (list: Pending[], fn: (p: Pending, i: number) => void): void =>
      list.forEach((p, i) => {
        this.inFlight.delete(p.verified.eventId);
        fn(p, i);
      });
    if (!this.deps.mayApply()) {
      for (const list of byRoom.values()) settle(list, (p) => p.reject(new NotLeaderError()));
      return;
    }
    const rooms: Pending[][] = [];
    for (const list of byRoom.values()) {
      const { appId } = list[0]!.verified;
      const roomId = list[0]!.verified.callback.roomId;
      if (this.deps.ensureRoom(appId, roomId)) rooms.push(list);
      else settle(list, (p) => p.reject(new Error(`room ${appId}/${roomId} cannot be watched`)));
    }
    if (rooms.length === 0) return;
    try {
      const committed = await this.deps.store.applyCallbackBatch(
        rooms.map((list) => ({ ref: { appId: list[0]!.verified.appId, roomId: list[0]!.verified.callback.roomId }, items: list.map((p) => ({ eventId: p.verified.eventId, callback: p.verified.callback })) })),
      );
      const now = this.deps.now();
      const events = committed.flatMap((c) => c.events);
      for (const list of rooms) for (const p of list) this.seen.set(p.verified.eventId, now);
      if (events.length > 0) this.deps.sink.emit(events);
      rooms.forEach((list, r) => {
        const { appId } = list[0]!.verified;
        this.deps.confirm(appId, list[0]!.verified.callback.roomId);
        settle(list, (p, i) => p.resolve(committed[r]?.results[i] ?? 'accepted'));
      });
    } catch (err) {
      this.deps.logger.error({ err, rooms: rooms.length, callbacks: rooms.reduce((n, l) => n + l.length, 0) }, 'callbacks not committed; the vendor retries them');
      for (const list of rooms) settle(list, (p) => p.reject(err));
    }
  }

  private forgetOld(): void {
    const cutoff = this.deps.now() - CALLBACK_ID_RETENTION_MS;
    for (const [id, at] of this.seen) {
      if (at >= cutoff) break;
      this.seen.delete(id);
    }
  }
}
