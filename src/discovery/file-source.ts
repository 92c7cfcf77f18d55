import { readFile, stat } from 'node:fs/promises';
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import type { DiscoveryObserver } from './discovery-observer';
import { mergeRoomLists, parseRoomList, RoomListContext } from './room-list';
import type { RoomRegistry, SourceRoom } from './room-registry';

export interface FileSourceDeps {
  globs: readonly string[];
  /** Relative globs are resolved against this directory (the config file's). */
  cwd: string;
  context: () => RoomListContext;
  registry: RoomRegistry;
  observer: DiscoveryObserver;
  clock: Clock;
  logger: Logger;
}

interface FileState {
  /** Fingerprint of the contents last read (mtime + size); a re-read happens only when it changes. */
  fingerprint: string;
  /** The last good list; a file that turned bad keeps it. */
  rooms: readonly SourceRoom[];
  /** Set while the file is bad (logged once per problem). */
  problem?: string;
}

/**
 * Rooms listed in files matched by globs (as Prometheus' file_sd). A pass expands the globs, re-reads the
 * files that changed, and gives the registry the union of every file's last good list. A file that fails
 * to read or parse keeps its previous contents and is reported; a file that no longer matches drops its
 * rooms (they retire).
 */
export class FileSource {
  private readonly files = new Map<string, FileState>();

  constructor(private readonly deps: FileSourceDeps) {}

  /** One pass; never rejects. */
  async pass(): Promise<void> {
    const { deps } = this;
    const matched = new Map<string, string>();
    const failedGlobs = new Set<string>();
    for (const pattern of deps.globs) {
      try {
        for (const file of await globFiles(pattern, { cwd: deps.cwd, absolute: true, onlyFiles: true, expandDirectories: false })) if (!matched.has(file)) matched.set(file, pattern);
      } catch (err) {
        failedGlobs.add(pattern);
        deps.logger.warn({ glob: pattern, err }, 'discovery file glob failed');
      }
    }
    for (const file of this.files.keys()) {
      if (!matched.has(file)) {
        this.files.delete(file);
        deps.logger.info({ file }, 'discovery file no longer matches; its rooms retire');
      }
    }
    for (const [file, pattern] of matched) if (!(await this.refresh(file))) failedGlobs.add(pattern);
    deps.registry.replace('file', 'file', mergeRoomLists([...matched.keys()].sort().map((f) => this.files.get(f)?.rooms ?? [])), deps.clock.now());
    for (const pattern of deps.globs) if (!failedGlobs.has(pattern)) deps.observer.passSucceeded('file', pattern, deps.clock.now());
  }

  /** Re-read one file if it changed; false when it is bad (its previous list stays). */
  private async refresh(file: string): Promise<boolean> {
    const { deps } = this;
    const state = this.files.get(file);
    let fingerprint: string;
    let rooms: SourceRoom[];
    try {
      const st = await stat(file);
      fingerprint = `${st.mtimeMs}:${st.size}`;
      if (state && state.fingerprint === fingerprint) return state.problem === undefined;
      rooms = parseRoomList(await readFile(file, 'utf8'), deps.context());
    } catch (err) {
      deps.observer.request('file', false);
      const problem = err instanceof Error ? err.message : String(err);
      if (state?.problem !== problem) deps.logger.warn({ file, problem }, 'discovery file is bad; keeping its previous rooms');
      if (state) state.problem = problem;
      // Never read well: holds nothing, but is remembered so that the problem is logged once.
      else this.files.set(file, { fingerprint: '', rooms: [], problem });
      // A bad read must be retried next pass even if the file does not change again.
      const kept = this.files.get(file)!;
      kept.fingerprint = '';
      return false;
    }
    deps.observer.request('file', true);
    if (state?.problem !== undefined) deps.logger.info({ file }, 'discovery file is good again');
    this.files.set(file, { fingerprint, rooms });
    return true;
  }
}

/** tinyglobby is loaded by the first pass of a file source, not by every daemon (most have none). */
function globFiles(pattern: string, opts: import('tinyglobby').GlobOptions): Promise<string[]> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('tinyglobby') as typeof import('tinyglobby')).glob(pattern, opts);
}
