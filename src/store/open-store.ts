import { resolve } from 'node:path';
import type { Config } from '../config/schema';
import { MemoryStore } from './memory-store';
import { FenceCheck, SINGLE_WRITER, StateStore } from './store';

export interface OpenedStore {
  store: StateStore;
  /** A damaged database was moved here and a fresh one started. */
  movedAside?: { from: string; to: string; reason: string };
}

/**
 * Build the configured store. Throws ForeignFileError (touching nothing) when `state.file` holds
 * something that is not a store of ours.
 */
export function openStore(state: Config['state'], now: () => number = Date.now, fence: FenceCheck = SINGLE_WRITER): OpenedStore {
  if (state.backend === 'memory') return { store: new MemoryStore(state.retention, now, fence) };
  // The Redis store shares the cluster's connection and lease: cluster mode builds it (redis-cluster.ts).
  if (state.backend === 'redis') throw new Error('state.backend redis is opened by cluster mode');
  // Loaded here, not at start: a memory or Redis store never loads better-sqlite3's native library, so it
  // runs even where that library failed to build. (No RSS difference was measurable; BENCHMARKS.md.)
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { SqliteStore } = require('./sqlite-store') as typeof import('./sqlite-store');
  const file = resolve(state.file);
  const opened = SqliteStore.open(file, state.retention, now, fence);
  return { store: opened.store, movedAside: opened.movedAside && { from: file, ...opened.movedAside } };
}
