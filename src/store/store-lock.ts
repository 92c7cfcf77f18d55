import Database from 'better-sqlite3';
import { StoreInUseError } from './store-file';

/**
 * One live process per state database. Two daemons on one `state.file` (replicas started in one working
 * directory, a second instance by mistake) would each diff against the other's commits and report ids
 * twice, so the second must be refused at start.
 *
 * The lock is an open EXCLUSIVE transaction on a companion database `<state.file>.lock`, not on the state
 * database itself: SQLite's own `locking_mode=EXCLUSIVE` on the WAL database would also shut out the
 * `events` command, which reads the state while the daemon runs. SQLite takes the lock with the operating
 * system's file locks, so it is released when the process ends however it ends (kill -9 included) and no
 * stale lock file needs cleaning up; it works wherever the state database's own locking works.
 */
export class StoreLock {
  private constructor(private readonly db: Database.Database) {}

  /** Take the lock; throws StoreInUseError when another live process holds it. */
  static acquire(stateFile: string): StoreLock {
    const lockFile = `${stateFile}.lock`;
    const db = new Database(lockFile, { timeout: 0 });
    try {
      db.pragma('journal_mode = DELETE');
      db.exec('BEGIN EXCLUSIVE');
    } catch (err) {
      db.close();
      if ((err as { code?: string }).code?.startsWith('SQLITE_BUSY')) throw new StoreInUseError(stateFile, lockFile);
      throw err;
    }
    return new StoreLock(db);
  }

  release(): void {
    if (this.db.open) this.db.close();
  }
}
