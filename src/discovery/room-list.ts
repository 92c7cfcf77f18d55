import { parseDocument } from 'yaml';
import { z } from 'zod';
import { roomLabels } from '../config/schema';
import type { SourceRoom } from './room-registry';

/**
 * The room lists of file and HTTP discovery: a YAML or JSON list of {appId, roomId, account?, labels?}
 * (JSON is YAML, so one parser reads both). Pure. Errors name the entry and key, like config errors.
 */

const id = z.union([
  z.string().trim().min(1, 'must be a non-empty string'),
  z
    .number()
    .refine((n) => Number.isSafeInteger(n) && n >= 0, 'must be a string (quote large or non-integer numeric ids)')
    .transform(String),
]);

const entry = z.strictObject({
  appId: id,
  roomId: id,
  account: z.string().min(1).optional(),
  labels: roomLabels.optional(),
});

const list = z.array(entry);

export interface RoomListContext {
  /** Accounts a room may name. */
  accounts: ReadonlySet<string>;
  /** The account of a room that names none. */
  defaultAccount: string;
}

function path(p: readonly PropertyKey[]): string {
  return p.map((s) => (typeof s === 'number' ? `[${s}]` : `.${String(s)}`)).join('').replace(/^\./, '') || '(root)';
}

/** Parse a room list; throws an Error listing `[i].key: problem` lines. */
export function parseRoomList(text: string, ctx: RoomListContext): SourceRoom[] {
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) throw new Error(`not YAML or JSON: ${doc.errors[0]!.message.split('\n')[0]}`);
  const raw: unknown = doc.toJS() ?? [];
  const result = list.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((i) => (i.code === 'unrecognized_keys' ? `${path(i.path)}: unknown key(s) ${i.keys.join(', ')}` : `${path(i.path)}: ${i.message}`));
    throw new Error(problems.join('; '));
  }
  const problems: string[] = [];
  const rooms = result.data.map((r, i) => {
    const account = r.account ?? ctx.defaultAccount;
    if (!ctx.accounts.has(account)) problems.push(`[${i}].account: no account named ${account}`);
    return { appId: r.appId, roomId: r.roomId, account, ...(r.labels && Object.keys(r.labels).length > 0 ? { labels: r.labels } : {}) };
  });
  if (problems.length > 0) throw new Error(problems.join('; '));
  return rooms;
}

/** Several lists as one: the first list that names a room wins. */
export function mergeRoomLists(lists: Iterable<readonly SourceRoom[]>): SourceRoom[] {
  const seen = new Map<string, SourceRoom>();
  for (const l of lists) for (const r of l) {
    const key = `${r.appId}\u0000${r.roomId}`;
    if (!seen.has(key)) seen.set(key, r);
  }
  return [...seen.values()];
}
