import { readFileSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { SavedRoom } from '../rooms/room-store';

export const STATE_FORMAT = 'rtc-room-monitor-state';
export const STATE_VERSION = 1;

export type LoadResult =
  | { status: 'loaded'; rooms: SavedRoom[]; savedAtMs: number }
  | { status: 'missing' }
  | { status: 'invalid'; reason: string };

/** Saves in flight per target path, so two saves never share the temp file. */
const pending = new Map<string, Promise<void>>();

/**
 * Write the state file atomically: the target path only ever holds a complete old file or a complete new
 * one. The data goes to `<file>.tmp-<pid>`, is fsynced, then renamed over the target (atomic on POSIX);
 * the directory is fsynced so the rename itself survives a power cut (best effort: not every platform
 * lets a directory be opened). Saves to the same path from this process run one after another, in call
 * order, since they share the temp name. Rejects on failure, leaving the previous file untouched.
 */
export function saveState(file: string, rooms: SavedRoom[], savedAtMs: number): Promise<void> {
  const previous = pending.get(file) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(() => writeAtomically(file, render(rooms, savedAtMs)));
  pending.set(file, next);
  const forget = (): void => {
    if (pending.get(file) === next) pending.delete(file);
  };
  next.then(forget, forget);
  return next;
}

function render(rooms: SavedRoom[], savedAtMs: number): string {
  return `${JSON.stringify({ format: STATE_FORMAT, version: STATE_VERSION, savedAt: new Date(savedAtMs).toISOString(), rooms })}\n`;
}

async function writeAtomically(file: string, data: string): Promise<void> {
  const dir = dirname(file);
  await mkdir(dir, { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(data, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
  await syncDir(dir);
}

async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // Best effort: the data is already complete under its final name.
  }
}

/**
 * Read the state file. Never throws: anything but a well-formed file of our format and version is
 * 'invalid' with a reason that starts with a stable word (unreadable, corrupt, foreign-format,
 * foreign-version, bad-shape) and names the offending field. Stray temp files from a crashed save are
 * never read. Synchronous because it runs once, at startup, before anything else needs the loop.
 */
export function loadState(file: string): LoadResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'ENOENT') return { status: 'missing' };
    return invalid(`unreadable: ${typeof code === 'string' ? code : describe(err)}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return invalid(`corrupt: not valid JSON (truncated or damaged?): ${describe(err)}`);
  }
  if (!isRecord(doc)) return invalid('corrupt: top level is not a JSON object');
  if (doc.format !== STATE_FORMAT) return invalid(`foreign-format: format is ${JSON.stringify(doc.format) ?? 'missing'}, expected "${STATE_FORMAT}"`);
  if (doc.version !== STATE_VERSION) return invalid(`foreign-version: version is ${JSON.stringify(doc.version) ?? 'missing'}, this build reads ${STATE_VERSION}`);
  const savedAtMs = typeof doc.savedAt === 'string' ? Date.parse(doc.savedAt) : NaN;
  if (!Number.isFinite(savedAtMs)) return invalid('bad-shape: savedAt: must be an ISO-8601 time');
  if (!Array.isArray(doc.rooms)) return invalid('bad-shape: rooms: must be an array');
  const rooms: SavedRoom[] = [];
  const seen = new Set<string>();
  for (const [i, raw] of doc.rooms.entries()) {
    const room = parseRoom(raw);
    if (typeof room === 'string') return invalid(`bad-shape: rooms[${i}]${room}`);
    // NUL cannot appear in a configured id, so the key is unambiguous.
    const key = `${room.appId}\u0000${room.roomId}`;
    if (seen.has(key)) return invalid(`bad-shape: rooms[${i}]: duplicate room ${room.appId}/${room.roomId}`);
    seen.add(key);
    rooms.push(room);
  }
  return { status: 'loaded', rooms, savedAtMs };
}

/** A SavedRoom with only the known keys, or the path and problem (e.g. ".visible[2]: must be a string"). */
function parseRoom(raw: unknown): SavedRoom | string {
  if (!isRecord(raw)) return ': must be an object';
  for (const key of ['appId', 'roomId'] as const) {
    if (typeof raw[key] !== 'string' || raw[key] === '') return `.${key}: must be a non-empty string`;
  }
  if (typeof raw.exists !== 'boolean') return '.exists: must be a boolean';
  for (const key of ['totalUsers', 'totalInvisibleUsers'] as const) {
    if (!isCount(raw[key])) return `.${key}: must be a non-negative integer`;
  }
  if (raw.lastSuccessMs !== undefined && !(typeof raw.lastSuccessMs === 'number' && Number.isFinite(raw.lastSuccessMs))) {
    return '.lastSuccessMs: must be a number when present';
  }
  for (const key of ['visible', 'invisible'] as const) {
    const list = raw[key];
    if (!Array.isArray(list)) return `.${key}: must be an array of strings`;
    const bad = list.findIndex((id) => typeof id !== 'string');
    if (bad >= 0) return `.${key}[${bad}]: must be a string`;
  }
  const room: SavedRoom = {
    appId: raw.appId as string,
    roomId: raw.roomId as string,
    exists: raw.exists,
    totalUsers: raw.totalUsers as number,
    totalInvisibleUsers: raw.totalInvisibleUsers as number,
    visible: [...(raw.visible as string[])],
    invisible: [...(raw.invisible as string[])],
  };
  if (raw.lastSuccessMs !== undefined) room.lastSuccessMs = raw.lastSuccessMs as number;
  return room;
}

function invalid(reason: string): LoadResult {
  return { status: 'invalid', reason };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isCount(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : 'unknown error';
}
