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
 * Opaque token a later leader-election layer passes to every commit; a backend that supports fencing
 * rejects a commit whose token is stale. Single-process backends ignore it.
 */
export type Fence = unknown;

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
  commitPoll(commit: PollCommit, fence?: Fence): Promise<RoomEvent[]>;

  /**
   * Optional: several rooms' commits in one transaction (all or none), resolving with each one's events.
   * A store without it gets the commits one after another (each atomic on its own).
   */
  commitPolls?(commits: readonly PollCommit[], fence?: Fence): Promise<RoomEvent[][]>;

  /** Forget rooms not in `keep` (keys from roomKey), so a room dropped from the config leaves no state. */
  retainRooms(keep: ReadonlySet<string>): Promise<void>;

  /** Committed events with id > afterId, in id order, at most `limit`. */
  readEvents(afterId: number, limit: number): Promise<RoomEvent[]>;

  /** Id of the last committed event; 0 when none was ever committed. */
  lastEventId(): Promise<number>;

  /**
   * Make every later id greater than `id` (no effect if it already is). Used when an events file holds
   * ids from an earlier store, so the file's ids keep increasing.
   */
  continueIdsAfter(id: number): Promise<void>;

  /**
   * Call `listener(lastId)` after each commit that added events. Returns the unsubscribe function.
   * Listeners run synchronously after the commit and must not throw.
   */
  onCommitted(listener: (lastId: number) => void): () => void;

  /** A delivery cursor: the id of the last event the named consumer has finished with. */
  getCursor(name: string): Promise<number | undefined>;
  setCursor(name: string, eventId: number): Promise<void>;

  /** EventIds of callbacks committed since `sinceMs` (their commit's time), to drop repeats after a restart. */
  recentCallbackIds(sinceMs: number): Promise<string[]>;

  /** Apply the retention policy now (and forget callback ids older than CALLBACK_ID_RETENTION_MS); resolves with how many events were removed. */
  prune(nowMs: number): Promise<number>;

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
