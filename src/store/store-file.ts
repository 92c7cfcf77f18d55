import { closeSync, existsSync, openSync, readSync, renameSync, statSync } from 'node:fs';

/**
 * What is at a store path before the store opens it. The store never writes over a file it cannot
 * recognise: a `state.file` typo that points at the config or the events file must fail, not destroy it.
 */
export type StoreFileKind = 'missing' | 'empty' | 'sqlite' | 'foreign';

const SQLITE_HEADER = Buffer.from('SQLite format 3\u0000', 'latin1');

export function classifyStoreFile(file: string): StoreFileKind {
  let size: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) return 'foreign';
    size = st.size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw err;
  }
  if (size === 0) return 'empty';
  const head = Buffer.alloc(SQLITE_HEADER.length);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  return head.equals(SQLITE_HEADER) ? 'sqlite' : 'foreign';
}

/** Move a damaged store and its WAL/shared-memory companions aside; returns the new main file name. */
export function moveAside(file: string, nowMs: number): string {
  const stamp = new Date(nowMs).toISOString().replace(/[:.]/g, '-');
  const target = `${file}.corrupt-${stamp}`;
  renameSync(file, target);
  for (const suffix of ['-wal', '-shm']) {
    if (existsSync(file + suffix)) renameSync(file + suffix, target + suffix);
  }
  return target;
}

/** The path holds something that is not this store; nothing was written. */
export class ForeignFileError extends Error {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`state.file: ${file} exists and is not an rtc-room-monitor store (${reason}); refusing to overwrite it. Point state.file at a new path or an existing store.`);
    this.name = 'ForeignFileError';
  }
}

/** Another live process has the state database open. */
export class StoreInUseError extends Error {
  constructor(
    readonly file: string,
    readonly lockFile: string,
  ) {
    super(
      `state.file: ${file} is in use by another running process (it holds ${lockFile}); each daemon needs its own state.file (replicas share state with state.backend: redis). The events command can read it meanwhile.`,
    );
    this.name = 'StoreInUseError';
  }
}

/** A store written by a newer release: refused rather than misread (a downgrade). */
export class NewerSchemaError extends Error {
  constructor(file: string, found: string, known: string) {
    super(`state.file: ${file} has store schema ${found}, newer than this release knows (${known}); upgrade rtc-room-monitor or point state.file elsewhere`);
    this.name = 'NewerSchemaError';
  }
}
