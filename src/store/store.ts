import type { MemberChange } from '../rooms/membership-diff';
import type { RoomEvent } from '../rooms/room-event';

/**
 * The durable side of the daemon: each room's remembered membership and the committed event log, behind
 * one narrow interface. Memory, SQLite (and later Redis) implement it and pass one contract test suite
 * (test/store/store-contract.ts). Every I/O method returns a Promise even where the backend is
 * synchronous, so an asynchronous backend fits without changing a caller.
 */

/** An event before the store has given it an id. */
export type NewEvent = Omit<RoomEvent, 'id'>;

/** A room's remembered state: the baseline the next poll is diffed against. */
export interface StoredRoom {
  appId: string;
  roomId: string;
  exists: boolean;
  totalUsers: number;
  totalInvisibleUsers: number;
  lastSuccessMs?: number;
  visible: string[];
  invisible: string[];
}

/** One successful poll of one room, to be committed atomically. */
export interface PollCommit {
  appId: string;
  roomId: string;
  exists: boolean;
  totalUsers: number;
  totalInvisibleUsers: number;
  /** The last successful poll's time; undefined for a callback's commit to a room not polled yet. */
  lastSuccessMs: number | undefined;
  /**
   * The room's first baseline (no remembered membership yet): the full member lists, replacing anything
   * stored. Absent for every later poll, which writes `changes` only.
   */
  baseline?: { visible: readonly string[]; invisible: readonly string[] };
  /** Member rows to write: exactly the diff, so a 10,000-member room with 3 changes writes 3 rows. */
  changes: readonly MemberChange[];
  /** The events these changes produce, committed in the same transaction and given ids there. */
  events: readonly NewEvent[];
  /** EventIds of the vendor callbacks this commit applies, remembered so a repeat is known (recentCallbackIds). */
  callbackIds?: readonly string[];
}

/** How long a callback's EventId is remembered to drop repeats (the vendor retries within minutes). */
export const CALLBACK_ID_RETENTION_MS = 3_600_000;

/**
 * The writer's fencing token: the leader's token of the current term (Leadership.token()), or undefined
 * when the writer does not lead. EVERY mutation of the store takes one (commit, room retention, cursors,
 * id continuation, pruning) and the backend refuses it unless the token is current: the Redis scripts
 * check the lease inside Redis; memory and SQLite ask their FenceCheck. A write therefore cannot be left
 * unfenced by the wiring it passes through (issue #18).
 */
export type Fence = number | undefined;

/** How a store that is not shared (memory, SQLite) decides whether a token is the current leader's. */
export interface FenceCheck {
  holds(token: Fence): boolean;
}

/**
 * A single process: it is always the leader (AlwaysLeader), so any token is current, but a write without
 * one is still refused, so a caller that forgot the token fails in every deployment, not only in a cluster.
 */
export const SINGLE_WRITER: FenceCheck = { holds: (token) => token !== undefined };

export interface RetentionPolicy {
  /** Keep at most this many events in the log. */
  maxEvents: number;
  /** Drop events committed longer ago than this. */
  maxAgeSeconds: number;
}

export interface StateStore {
  /** Human-readable backend description for logs, e.g. `sqlite:/data/x.db` or `memory`. */
  readonly description: string;

  /** Every room with a baseline. */
  loadRooms(): Promise<StoredRoom[]>;

  /** One room's baseline, if it has one (a room that a discovery source adds while the daemon runs). */
  loadRoom(appId: string, roomId: string): Promise<StoredRoom | undefined>;

  /**
   * Commit the room's member changes and its events in one transaction; resolves with the events as
   * committed (with ids, strictly increasing per store). Rejects (and commits nothing) on failure.
   */
  commitPoll(commit: PollCommit, fence: Fence): Promise<RoomEvent[]>;

  /**
   * Optional: several rooms' commits in one transaction (all or none), resolving with each one's events.
   * A store without it gets the commits one after another (each atomic on its own). Fenced like commitPoll.
   */
  commitPolls?(commits: readonly PollCommit[], fence: Fence): Promise<RoomEvent[][]>;

  /**
   * Forget these rooms (keys from roomKey), so a room dropped from the config leaves no state. Exactly
   * the rooms the caller dropped, never "all but the ones I know": a replica knows fewer rooms than the
   * leader (a standby's, or a new leader's ListRoomInfo discovery has not run). Fenced: a standby's is
   * refused. Unknown keys are ignored.
   */
  forgetRooms(keys: readonly string[], fence: Fence): Promise<void>;

  /** Committed events with id > afterId, in id order, at most `limit`. */
  readEvents(afterId: number, limit: number): Promise<RoomEvent[]>;

  /** Id of the last committed event; 0 when none was ever committed. */
  lastEventId(): Promise<number>;

  /**
   * Make every later id greater than `id` (no effect if it already is). Used when an events file holds
   * ids from an earlier store, so the file's ids keep increasing.
   */
  continueIdsAfter(id: number, fence: Fence): Promise<void>;

  /**
   * Call `listener(lastId)` after each commit that added events. Returns the unsubscribe function.
   * Listeners run synchronously after the commit and must not throw.
   */
  onCommitted(listener: (lastId: number) => void): () => void;

  /** A delivery cursor: the id of the last event the named consumer has finished with. */
  getCursor(name: string): Promise<number | undefined>;
  /**
   * Move a cursor forward to `eventId`. Never backwards: a deposed leader's late acknowledgement (or a
   * writer that read an older position) cannot make the next leader deliver again what was delivered.
   */
  setCursor(name: string, eventId: number, fence: Fence): Promise<void>;

  /** EventIds of callbacks committed since `sinceMs` (their commit's time), to drop repeats after a restart. */
  recentCallbackIds(sinceMs: number): Promise<string[]>;

  /** Apply the retention policy now (and forget callback ids older than CALLBACK_ID_RETENTION_MS); resolves with how many events were removed. */
  prune(nowMs: number, fence: Fence): Promise<number>;

  close(): Promise<void>;
}

/** How often (ms of wall time) a commit also applies the retention policy. */
export const PRUNE_EVERY_MS = 30_000;

/**
 * StateWriteError code: the store holds no state for a room the caller diffs against (a shared store lost
 * its data). The caller's next commit for the room must be a baseline.
 */
export const BASELINE_MISSING_CODE = 'BaselineMissing';

/** A commit failed: nothing of the poll was stored, so memory must not move ahead either. */
export class StateWriteError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'StateWriteError';
  }
}

/** StateWriteError code of a write refused by the fence. */
export const STALE_LEADER_CODE = 'StaleLeader';

/**
 * A write refused because the writer's fencing token is not the current leader's (not retryable). A
 * StateWriteError, so a poller treats a fenced commit like any failed commit: nothing applied, counted.
 */
export class StaleLeaderError extends StateWriteError {
  override readonly name = 'StaleLeaderError';
  readonly retryable = false;
  constructor(readonly token: number) {
    super(token > 0 ? `fencing token ${token} no longer holds the leader lease; the write was refused` : 'not the leader (no fencing token); the write was refused', STALE_LEADER_CODE);
  }
}

/** Throws StaleLeaderError unless `check` holds `token`: the guard of every mutation of a local store. */
export function assertFence(check: FenceCheck, token: Fence): void {
  if (!check.holds(token)) throw new StaleLeaderError(token ?? 0);
}

/** The refusal of a write whose token is not current, for a method that returns a Promise. */
export function rejectStale(token: Fence): Promise<never> {
  return Promise.reject(new StaleLeaderError(token ?? 0));
}

/** The committed-event notifier shared by the single-process backends. */
export class CommitNotifier {
  private readonly listeners = new Set<(lastId: number) => void>();

  subscribe(listener: (lastId: number) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  notify(lastId: number): void {
    for (const l of this.listeners) {
      try {
        l(lastId);
      } catch {
        // A listener bug must not turn a committed poll into a failed one.
      }
    }
  }
}
