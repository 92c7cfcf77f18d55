import { readFileSync } from 'node:fs';
import type { ServedSnapshot } from '../../src/simulator';

/** One committed event as the events file, the pull API or the Redis stream carries it. */
export interface LoggedEvent {
  id: number;
  type: string;
  appId: string;
  roomId: string;
  userId: string;
  visibility: string;
}

/** The members a served answer lists, user id → visibility (visible wins when an id is in both lists). */
export function members(s: ServedSnapshot): Map<string, string> {
  const m = new Map<string, string>();
  if (!s.exists) return m;
  s.invisible.forEach((u) => m.set(u, 'invisible'));
  s.visible.forEach((u) => m.set(u, 'visible'));
  return m;
}

/**
 * Replay a room's events, in order, onto its baseline; throws at the first one that breaks a consistent
 * log (a join of a member, a leave of a non-member or from the wrong list, a visibility change of a
 * non-member or to the same list). Resolves with the replayed membership, sorted for comparison.
 */
export function replayRoom(baseline: ServedSnapshot, events: readonly LoggedEvent[], roomId: string): Map<string, string> {
  const replay = members(baseline);
  for (const e of events.filter((x) => x.roomId === roomId)) {
    const was = replay.get(e.userId);
    const at = `event ${e.id} (${e.type} ${e.userId} ${e.visibility})`;
    if (e.type === 'join') {
      if (was !== undefined) throw new Error(`${at}: join of a member`);
      replay.set(e.userId, e.visibility);
    } else if (e.type === 'leave') {
      if (was !== e.visibility) throw new Error(`${at}: leave of a non-member or from the wrong list (${String(was)})`);
      replay.delete(e.userId);
    } else {
      if (was === undefined || was === e.visibility) throw new Error(`${at}: visibility change of a non-member or to the same list`);
      replay.set(e.userId, e.visibility);
    }
  }
  return new Map([...replay].sort());
}

/** The last answer the simulator served for a room, as a sorted membership. */
export function lastServed(served: readonly ServedSnapshot[]): Map<string, string> {
  return new Map([...members(served[served.length - 1]!)].sort());
}

/** Every event in an NDJSON events file, in file order; none while it does not exist yet. */
export function readEventsFile<T extends LoggedEvent = LoggedEvent & { time: string; source?: string }>(file: string): T[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

/** A stream entry: the event and its commit time (the `t` field, ms). */
export interface StreamEvent extends LoggedEvent {
  committedMs: number;
}

/** The whole Redis event stream (`<keyPrefix>events`), oldest first. */
export async function readStream(client: { xrange(key: string, start: string, end: string): Promise<[string, string[]][]> }, key: string): Promise<StreamEvent[]> {
  return (await client.xrange(key, '-', '+')).map(([id, f]) => ({
    id: Number.parseInt(id, 10),
    ...(JSON.parse(f[f.indexOf('e') + 1]!) as Omit<LoggedEvent, 'id'>),
    committedMs: Number(f[f.indexOf('t') + 1]),
  }));
}

const same = (a: Map<string, string>, b: Map<string, string>): boolean => JSON.stringify([...a]) === JSON.stringify([...b]);

/**
 * A room's log from a fresh baseline (a room that came back after it expired, or after Redis lost its
 * data). A baseline commits no events, so the log does not say which served answer it was: try each
 * candidate, oldest first. Resolves with the replay from the first one from which `events` replay
 * consistently and, when `end` is given, end there; throws with every candidate's failure otherwise.
 * A log that invents events (a join storm, a leave of a member never listed) fits no candidate.
 */
export function replayFromFreshBaseline(candidates: readonly ServedSnapshot[], events: readonly LoggedEvent[], roomId: string, end?: Map<string, string>): Map<string, string> {
  const failures: string[] = [];
  for (const [i, baseline] of candidates.entries()) {
    try {
      const replayed = replayRoom(baseline, events, roomId);
      if (end === undefined || same(replayed, end)) return replayed;
      failures.push(`candidate ${i}: ends at ${JSON.stringify([...replayed])}`);
    } catch (err) {
      failures.push(`candidate ${i}: ${(err as Error).message}`);
    }
  }
  throw new Error(`${roomId}: no served answer is a baseline the log continues from (${candidates.length} tried; expected end ${JSON.stringify([...(end ?? [])])}):\n${failures.slice(-5).join('\n')}`);
}
