import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { ChangeType, Visibility } from '../rooms/membership-diff';
import type { RoomEvent } from '../rooms/room-event';
import { roomKey } from '../rooms/room-event';
import type { ChangeSource } from '../rooms/change-order';
import { assertFence, CALLBACK_ID_RETENTION_MS, CommitNotifier, Fence, FenceCheck, PollCommit, PRUNE_EVERY_MS, rejectStale, RetentionPolicy, SINGLE_WRITER, StateStore, StateWriteError, StoredRoom } from './store';
import { classifyStoreFile, ForeignFileError, moveAside, NewerSchemaError } from './store-file';
import { StoreLock } from './store-lock';

export const STORE_FORMAT = 'rtc-room-monitor-store';
/**
 * The schema version this release writes. 1: the first release. 2: events carry their `source`, and the
 * EventIds of applied callbacks are kept (callback_ids). An older store is migrated in place at open; a
 * newer one is refused (a downgrade would misread it).
 */
export const STORE_SCHEMA_VERSION = '2';

/** The tables of the current version; on an older store the migrations below bring existing tables up. */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rooms (
  app_id TEXT NOT NULL, room_id TEXT NOT NULL, room_exists INTEGER NOT NULL,
  total_users INTEGER NOT NULL, total_invisible INTEGER NOT NULL, last_success_ms INTEGER,
  PRIMARY KEY (app_id, room_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS members (
  app_id TEXT NOT NULL, room_id TEXT NOT NULL, user_id TEXT NOT NULL, invisible INTEGER NOT NULL,
  PRIMARY KEY (app_id, room_id, user_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY AUTOINCREMENT, committed_ms INTEGER NOT NULL, time TEXT NOT NULL, type TEXT NOT NULL,
  app_id TEXT NOT NULL, room_id TEXT NOT NULL, user_id TEXT NOT NULL, visibility TEXT NOT NULL,
  source TEXT NOT NULL DEFAULT 'poll');
CREATE INDEX IF NOT EXISTS events_committed ON events (committed_ms);
CREATE TABLE IF NOT EXISTS cursors (name TEXT PRIMARY KEY, event_id INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS callback_ids (event_id TEXT PRIMARY KEY, committed_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS callback_ids_committed ON callback_ids (committed_ms);
`;

/**
 * Steps from each version to the next, run in one transaction at open. Every event before version 2 came
 * from a poll, so existing rows take source 'poll'.
 */
const MIGRATIONS: Record<string, (db: Database.Database) => void> = {
  '1': (db) => {
    if (!hasColumn(db, 'events', 'source')) db.exec("ALTER TABLE events ADD COLUMN source TEXT NOT NULL DEFAULT 'poll'");
  },
};

function hasColumn(db: Database.Database, table: string, column: string): boolean {
  return (db.prepare(`SELECT name FROM pragma_table_info('${table}')`).all() as { name: string }[]).some((c) => c.name === column);
}

export { NewerSchemaError };

interface EventRow {
  id: number;
  time: string;
  type: string;
  app_id: string;
  room_id: string;
  user_id: string;
  visibility: string;
  source: string;
}

export interface OpenResult {
  store: SqliteStore;
  /** Set when a damaged store was moved aside and a fresh one created. */
  movedAside?: { to: string; reason: string };
}

/**
 * The default store: SQLite (better-sqlite3) in WAL mode. WAL + synchronous=NORMAL keeps every commit
 * across a process crash (kill -9); a power cut may lose the last commits, never corrupt earlier ones.
 * better-sqlite3 is synchronous; each call is short (one transaction per poll) and the daemon is
 * I/O-bound on the vendor API, so a worker thread would add more than it saves.
 */
export class SqliteStore implements StateStore {
  readonly description: string;
  private readonly notifier = new CommitNotifier();
  private lastPruneMs: number;
  private readonly q: ReturnType<SqliteStore['prepare']>;
  private readonly commitTx: (c: PollCommit) => RoomEvent[];
  private readonly commitManyTx: (cs: readonly PollCommit[]) => RoomEvent[][];

  private lock?: StoreLock;

  private constructor(
    private readonly db: Database.Database,
    file: string,
    private readonly retention: RetentionPolicy,
    private readonly now: () => number,
    private readonly fence: FenceCheck,
  ) {
    this.description = `sqlite:${file}`;
    this.lastPruneMs = now();
    this.q = this.prepare();
    this.commitTx = db.transaction((c: PollCommit) => this.writePoll(c));
    this.commitManyTx = db.transaction((cs: readonly PollCommit[]) => cs.map((c) => this.writePoll(c)));
  }

  /**
   * Open or create the store at `file`. Throws ForeignFileError (nothing touched) when the path holds
   * something else; moves a damaged store aside and starts a fresh one.
   */
  static open(file: string, retention: RetentionPolicy, now: () => number = Date.now, fence: FenceCheck = SINGLE_WRITER): OpenResult {
    const kind = classifyStoreFile(file);
    if (kind === 'foreign') throw new ForeignFileError(file, 'it is not a SQLite database');
    mkdirSync(dirname(file), { recursive: true });
    // Before anything is read or written: another live daemon on this file is refused (StoreInUseError).
    const lock = StoreLock.acquire(file);
    try {
      const opened = SqliteStore.openUnlocked(file, kind, retention, now, fence);
      opened.store.lock = lock;
      return opened;
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  private static openUnlocked(file: string, kind: ReturnType<typeof classifyStoreFile>, retention: RetentionPolicy, now: () => number, fence: FenceCheck): OpenResult {
    if (kind === 'sqlite') {
      let damage: string | undefined;
      let db: Database.Database | undefined;
      try {
        db = new Database(file);
        const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name);
        const format = tables.includes('meta') ? (db.prepare("SELECT value FROM meta WHERE key = 'format'").get() as { value: string } | undefined)?.value : undefined;
        if (format !== STORE_FORMAT && tables.length > 0) {
          db.close();
          throw new ForeignFileError(file, 'it is a SQLite database of another application');
        }
        const version = tables.includes('meta') ? (db.prepare("SELECT value FROM meta WHERE key = 'schema'").get() as { value: string } | undefined)?.value : undefined;
        if (version !== undefined && Number(version) > Number(STORE_SCHEMA_VERSION)) {
          db.close();
          throw new NewerSchemaError(file, version, STORE_SCHEMA_VERSION);
        }
        const check = db.pragma('quick_check', { simple: true });
        if (check !== 'ok') damage = `integrity check: ${String(check)}`;
      } catch (err) {
        if (err instanceof ForeignFileError || err instanceof NewerSchemaError) throw err;
        damage = err instanceof Error ? `${(err as { code?: string }).code ?? err.name}: ${err.message}` : 'unreadable';
      }
      if (damage === undefined) return { store: SqliteStore.init(db!, file, retention, now, fence) };
      try {
        db?.close();
      } catch {
        // Already unusable; it is being moved aside.
      }
      const to = moveAside(file, now());
      return { store: SqliteStore.init(new Database(file), file, retention, now, fence), movedAside: { to, reason: damage } };
    }
    return { store: SqliteStore.init(new Database(file), file, retention, now, fence) };
  }

  private static init(db: Database.Database, file: string, retention: RetentionPolicy, now: () => number, fence: FenceCheck): SqliteStore {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    db.transaction(() => {
      db.exec(SCHEMA);
      db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?), (?, ?)').run('format', STORE_FORMAT, 'schema', STORE_SCHEMA_VERSION);
      let version = (db.prepare("SELECT value FROM meta WHERE key = 'schema'").get() as { value: string }).value;
      while (version !== STORE_SCHEMA_VERSION) {
        const step = MIGRATIONS[version];
        if (!step) throw new Error(`state.file: ${file}: no migration from store schema ${version}`);
        step(db);
        version = String(Number(version) + 1);
        db.prepare("UPDATE meta SET value = ? WHERE key = 'schema'").run(version);
      }
    })();
    return new SqliteStore(db, file, retention, now, fence);
  }

  private prepare() {
    const db = this.db;
    return {
      upsertRoom: db.prepare(
        `INSERT INTO rooms (app_id, room_id, room_exists, total_users, total_invisible, last_success_ms) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (app_id, room_id) DO UPDATE SET room_exists = excluded.room_exists, total_users = excluded.total_users,
         total_invisible = excluded.total_invisible, last_success_ms = excluded.last_success_ms`,
      ),
      clearMembers: db.prepare('DELETE FROM members WHERE app_id = ? AND room_id = ?'),
      putMember: db.prepare('INSERT OR REPLACE INTO members (app_id, room_id, user_id, invisible) VALUES (?, ?, ?, ?)'),
      delMember: db.prepare('DELETE FROM members WHERE app_id = ? AND room_id = ? AND user_id = ?'),
      addEvent: db.prepare('INSERT INTO events (committed_ms, time, type, app_id, room_id, user_id, visibility, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      addCallbackId: db.prepare('INSERT OR IGNORE INTO callback_ids (event_id, committed_ms) VALUES (?, ?)'),
      callbackIds: db.prepare('SELECT event_id FROM callback_ids WHERE committed_ms >= ?'),
      pruneCallbackIds: db.prepare('DELETE FROM callback_ids WHERE committed_ms < ?'),
      rooms: db.prepare('SELECT app_id, room_id, room_exists, total_users, total_invisible, last_success_ms FROM rooms'),
      members: db.prepare('SELECT app_id, room_id, user_id, invisible FROM members'),
      room: db.prepare('SELECT app_id, room_id, room_exists, total_users, total_invisible, last_success_ms FROM rooms WHERE app_id = ? AND room_id = ?'),
      roomMembers: db.prepare('SELECT user_id, invisible FROM members WHERE app_id = ? AND room_id = ?'),
      read: db.prepare('SELECT id, time, type, app_id, room_id, user_id, visibility, source FROM events WHERE id > ? ORDER BY id LIMIT ?'),
      lastId: db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'events'"),
      getCursor: db.prepare('SELECT event_id FROM cursors WHERE name = ?'),
      setCursor: db.prepare('INSERT INTO cursors (name, event_id) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET event_id = max(event_id, excluded.event_id)'),
      pruneCount: db.prepare('DELETE FROM events WHERE id <= ?'),
      pruneAge: db.prepare('DELETE FROM events WHERE committed_ms < ?'),
      roomKeys: db.prepare('SELECT app_id, room_id FROM rooms'),
      dropRoom: db.prepare('DELETE FROM rooms WHERE app_id = ? AND room_id = ?'),
    };
  }

  private writePoll(c: PollCommit): RoomEvent[] {
    const { q } = this;
    q.upsertRoom.run(c.appId, c.roomId, c.exists ? 1 : 0, c.totalUsers, c.totalInvisibleUsers, c.lastSuccessMs ?? null);
    if (c.baseline) {
      q.clearMembers.run(c.appId, c.roomId);
      for (const id of c.baseline.invisible) q.putMember.run(c.appId, c.roomId, id, 1);
      for (const id of c.baseline.visible) q.putMember.run(c.appId, c.roomId, id, 0);
    }
    for (const ch of c.changes) {
      if (ch.type === 'leave') q.delMember.run(c.appId, c.roomId, ch.userId);
      else q.putMember.run(c.appId, c.roomId, ch.userId, ch.visibility === 'invisible' ? 1 : 0);
    }
    const committedMs = this.now();
    for (const id of c.callbackIds ?? []) q.addCallbackId.run(id, committedMs);
    return c.events.map((e) => {
      const id = Number(q.addEvent.run(committedMs, e.time, e.type, e.appId, e.roomId, e.userId, e.visibility, e.source ?? 'poll').lastInsertRowid);
      return { id, ...e, source: e.source ?? 'poll' };
    });
  }

  loadRooms(): Promise<StoredRoom[]> {
    return attempt(() => {
      const byKey = new Map<string, StoredRoom>();
      for (const r of this.q.rooms.all() as { app_id: string; room_id: string; room_exists: number; total_users: number; total_invisible: number; last_success_ms: number | null }[]) {
        const room: StoredRoom = { appId: r.app_id, roomId: r.room_id, exists: r.room_exists === 1, totalUsers: r.total_users, totalInvisibleUsers: r.total_invisible, visible: [], invisible: [] };
        if (r.last_success_ms !== null) room.lastSuccessMs = r.last_success_ms;
        byKey.set(roomKey(r.app_id, r.room_id), room);
      }
      for (const m of this.q.members.iterate() as Iterable<{ app_id: string; room_id: string; user_id: string; invisible: number }>) {
        const room = byKey.get(roomKey(m.app_id, m.room_id));
        if (room) (m.invisible ? room.invisible : room.visible).push(m.user_id);
      }
      return [...byKey.values()];
    });
  }

  loadRoom(appId: string, roomId: string): Promise<StoredRoom | undefined> {
    return attempt(() => {
      const r = this.q.room.get(appId, roomId) as { app_id: string; room_id: string; room_exists: number; total_users: number; total_invisible: number; last_success_ms: number | null } | undefined;
      if (!r) return undefined;
      const room: StoredRoom = { appId: r.app_id, roomId: r.room_id, exists: r.room_exists === 1, totalUsers: r.total_users, totalInvisibleUsers: r.total_invisible, visible: [], invisible: [] };
      if (r.last_success_ms !== null) room.lastSuccessMs = r.last_success_ms;
      for (const m of this.q.roomMembers.iterate(appId, roomId) as Iterable<{ user_id: string; invisible: number }>) (m.invisible ? room.invisible : room.visible).push(m.user_id);
      return room;
    });
  }

  commitPoll(c: PollCommit, fence: Fence): Promise<RoomEvent[]> {
    if (!this.fence.holds(fence)) return rejectStale(fence);
    let committed: RoomEvent[];
    try {
      committed = this.commitTx(c);
    } catch (err) {
      return Promise.reject(writeError(err));
    }
    if (committed.length > 0) this.notifier.notify(committed[committed.length - 1]!.id);
    const nowMs = this.now();
    if (nowMs - this.lastPruneMs >= PRUNE_EVERY_MS) {
      this.lastPruneMs = nowMs;
      // Retention is housekeeping: a failure here must not fail the poll that was just committed.
      this.prune(nowMs, fence).catch(() => undefined);
    }
    return Promise.resolve(committed);
  }

  commitPolls(commits: readonly PollCommit[], fence: Fence): Promise<RoomEvent[][]> {
    if (!this.fence.holds(fence)) return rejectStale(fence);
    let committed: RoomEvent[][];
    try {
      committed = this.commitManyTx(commits);
    } catch (err) {
      return Promise.reject(writeError(err));
    }
    const last = committed.flat().at(-1);
    if (last) this.notifier.notify(last.id);
    return Promise.resolve(committed);
  }

  forgetRooms(keys: readonly string[], fence: Fence): Promise<void> {
    return attempt(() => {
      assertFence(this.fence, fence);
      const forget = new Set(keys);
      const drop = (this.q.roomKeys.all() as { app_id: string; room_id: string }[]).filter((r) => forget.has(roomKey(r.app_id, r.room_id)));
      if (drop.length === 0) return;
      this.db.transaction(() => {
        for (const r of drop) {
          this.q.dropRoom.run(r.app_id, r.room_id);
          this.q.clearMembers.run(r.app_id, r.room_id);
        }
      })();
    });
  }

  readEvents(afterId: number, limit: number): Promise<RoomEvent[]> {
    return attempt(() => (this.q.read.all(afterId, limit) as EventRow[]).map(toEvent));
  }

  lastEventId(): Promise<number> {
    return attempt(() => (this.q.lastId.get() as { seq: number } | undefined)?.seq ?? 0);
  }

  continueIdsAfter(id: number, fence: Fence): Promise<void> {
    if (!this.fence.holds(fence)) return rejectStale(fence);
    return attempt(() =>
      this.db.transaction(() => {
        if (id <= ((this.q.lastId.get() as { seq: number } | undefined)?.seq ?? 0)) return;
        // AUTOINCREMENT continues from sqlite_sequence; the row exists once any event was ever inserted.
        if (this.db.prepare("UPDATE sqlite_sequence SET seq = ? WHERE name = 'events'").run(id).changes === 0) {
          this.db.prepare("INSERT INTO sqlite_sequence (name, seq) VALUES ('events', ?)").run(id);
        }
      })(),
    );
  }

  onCommitted(listener: (lastId: number) => void): () => void {
    return this.notifier.subscribe(listener);
  }

  getCursor(name: string): Promise<number | undefined> {
    return attempt(() => (this.q.getCursor.get(name) as { event_id: number } | undefined)?.event_id);
  }

  setCursor(name: string, eventId: number, fence: Fence): Promise<void> {
    if (!this.fence.holds(fence)) return rejectStale(fence);
    return attempt(() => void this.q.setCursor.run(name, eventId));
  }

  recentCallbackIds(sinceMs: number): Promise<string[]> {
    return attempt(() => (this.q.callbackIds.all(sinceMs) as { event_id: string }[]).map((r) => r.event_id));
  }

  prune(nowMs: number, fence: Fence): Promise<number> {
    if (!this.fence.holds(fence)) return rejectStale(fence);
    return attempt(() =>
      this.db.transaction(() => {
        this.q.pruneCallbackIds.run(nowMs - CALLBACK_ID_RETENTION_MS);
        const last = (this.q.lastId.get() as { seq: number } | undefined)?.seq ?? 0;
        let removed = this.q.pruneCount.run(last - this.retention.maxEvents).changes;
        removed += this.q.pruneAge.run(nowMs - this.retention.maxAgeSeconds * 1000).changes;
        return removed;
      })(),
    );
  }

  close(): Promise<void> {
    return attempt(() => {
      if (this.db.open) this.db.close();
      this.lock?.release();
    });
  }
}

/**
 * Read-only access to a store another process may be writing (the `events` CLI command). WAL lets it read
 * while the daemon commits.
 */
export function readEventsFromFile(file: string, afterId: number, limit: number): RoomEvent[] {
  const kind = classifyStoreFile(file);
  if (kind === 'missing' || kind === 'empty') return [];
  if (kind === 'foreign') throw new ForeignFileError(file, 'it is not a SQLite database');
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    // Read-only, so an older store is not migrated here: its events all came from polls.
    const source = hasColumn(db, 'events', 'source') ? 'source' : "'poll' AS source";
    return (db.prepare(`SELECT id, time, type, app_id, room_id, user_id, visibility, ${source} FROM events WHERE id > ? ORDER BY id LIMIT ?`).all(afterId, limit) as EventRow[]).map(toEvent);
  } finally {
    db.close();
  }
}

function toEvent(r: EventRow): RoomEvent {
  return { id: r.id, time: r.time, type: r.type as ChangeType, appId: r.app_id, roomId: r.room_id, userId: r.user_id, visibility: r.visibility as Visibility, source: r.source as ChangeSource };
}

function attempt<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(writeError(err));
  }
}

function writeError(err: unknown): StateWriteError {
  if (err instanceof StateWriteError) return err;
  const code = (err as { code?: unknown }).code;
  return new StateWriteError(err instanceof Error ? err.message : String(err), typeof code === 'string' ? code : 'SQLITE_ERROR');
}
