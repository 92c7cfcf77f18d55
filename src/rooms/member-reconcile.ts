import type { MemberCallback } from '../callbacks/member-callback';
import { decideChange, MemberRecord } from './change-order';
import type { MemberChange, Membership, Visibility } from './membership-diff';

/**
 * Where callbacks and polls meet, per room: the records of recent changes (change-order.ts) and the pure
 * plans that turn a batch of callbacks, or a poll's diff, into the member changes to commit. No clock, no
 * I/O: the store commits a plan and then applies it.
 */

/** Records older than this are forgotten: no callback is retried or delayed that long. */
export const RECORD_TTL_MS = 10 * 60_000;

/** A room's records of recent changes (set by callbacks, and by polls while callbacks are on). */
export class RecentChanges {
  private readonly records = new Map<string, MemberRecord>();

  get size(): number {
    return this.records.size;
  }

  get(userId: string): MemberRecord | undefined {
    return this.records.get(userId);
  }

  set(userId: string, record: MemberRecord): void {
    this.records.set(userId, record);
  }

  /** Forget records of changes older than `cutoffMs`. */
  prune(cutoffMs: number): void {
    for (const [id, r] of this.records) if (r.changedAtMs < cutoffMs) this.records.delete(id);
  }

  entries(): IterableIterator<[string, MemberRecord]> {
    return this.records.entries();
  }
}

/** A member known only from a poll's baseline: present since an unknown time (older than any callback). */
function fromMembership(members: Membership, userId: string): MemberRecord | undefined {
  const visibility = members.visibilityOf(userId);
  return visibility === undefined ? undefined : { present: true, visibility, changedAtMs: 0, source: 'poll' };
}

export interface CallbackPlan {
  /** In order; the same member may change more than once. */
  changes: MemberChange[];
  /** The event time (ms) of each change, in the same order. */
  times: number[];
  /** Records to set once committed (the last per member wins). */
  records: Map<string, MemberRecord>;
  /** Per callback, in order: applied (with or without a change) or stale. */
  results: ('accepted' | 'stale')[];
  /** The room was destroyed by the last RoomDestroy that applied (and not rejoined after it). */
  destroyed: boolean;
}

/**
 * The changes a batch of one room's callbacks makes, each against the state the ones before it left.
 * A RoomDestroy is a leave of every member present at that moment.
 */
export function planCallbacks(members: Membership, recent: RecentChanges | undefined, callbacks: readonly MemberCallback[], graceMs: number): CallbackPlan {
  const plan: CallbackPlan = { changes: [], times: [], records: new Map(), results: [], destroyed: false };
  // The batch's own view: records it set win over the committed ones.
  const recordOf = (id: string): MemberRecord | undefined => plan.records.get(id) ?? recent?.get(id) ?? fromMembership(members, id);
  const apply = (userId: string, present: boolean, visibility: Visibility | undefined, atMs: number): 'changed' | 'same' | 'stale' => {
    const out = decideChange(recordOf(userId), { source: 'callback', present, visibility, atMs }, graceMs);
    if (out.kind === 'stale' || out.kind === 'held') return 'stale';
    plan.records.set(userId, out.record);
    if (out.kind === 'same') return 'same';
    plan.changes.push({ type: out.event.type, userId, visibility: out.event.visibility });
    plan.times.push(atMs);
    return 'changed';
  };
  for (const cb of callbacks) {
    if (cb.kind === 'member') {
      const r = apply(cb.userId, cb.present, cb.present ? cb.visibility : undefined, cb.timestampMs);
      plan.results.push(r === 'stale' ? 'stale' : 'accepted');
      if (r === 'changed' && cb.present) plan.destroyed = false;
      continue;
    }
    // Everyone present now: committed members and those the batch added, less those it removed.
    const present = new Set<string>([...members.visible(), ...members.invisible()]);
    for (const [id, rec] of plan.records) {
      if (rec.present) present.add(id);
      else present.delete(id);
    }
    for (const id of present) apply(id, false, undefined, cb.timestampMs);
    plan.results.push('accepted');
    plan.destroyed = true;
  }
  return plan;
}

/**
 * A poll's changes less those that would undo a newer change (a callback's within the grace, or anything
 * newer than the poll's request); the rest get records when callbacks are on. `sentMs`: when the poll's
 * request was sent.
 */
export function reconcilePoll(changes: readonly MemberChange[], recent: RecentChanges, sentMs: number, graceMs: number): { kept: MemberChange[]; records: Map<string, MemberRecord> } {
  const kept: MemberChange[] = [];
  const records = new Map<string, MemberRecord>();
  for (const c of changes) {
    const record = recent.get(c.userId);
    const obs = { source: 'poll' as const, present: c.type !== 'leave', visibility: c.visibility, atMs: sentMs };
    if (!record) {
      kept.push(c);
      records.set(c.userId, { present: obs.present, visibility: c.visibility, changedAtMs: sentMs, source: 'poll' });
      continue;
    }
    const out = decideChange(record, obs, graceMs);
    if (out.kind !== 'event') continue;
    kept.push({ type: out.event.type, userId: c.userId, visibility: out.event.visibility });
    records.set(c.userId, out.record);
  }
  return { kept, records };
}

/**
 * The first poll of a room that callbacks already touched: the listed members, with recorded members the
 * poll may not override kept as recorded; where the poll overrides a record, the difference is a real
 * change (an event), since the log already holds the record's state.
 */
export function reconcileBaseline(
  visible: readonly string[],
  invisible: readonly string[],
  recent: RecentChanges,
  sentMs: number,
  graceMs: number,
): { visible: string[]; invisible: string[]; changes: MemberChange[]; records: Map<string, MemberRecord> } {
  const listed = new Map<string, Visibility>();
  for (const id of invisible) listed.set(id, 'invisible');
  for (const id of visible) listed.set(id, 'visible');
  const changes: MemberChange[] = [];
  const records = new Map<string, MemberRecord>();
  for (const [id, record] of recent.entries()) {
    const seen = listed.get(id);
    const out = decideChange(record, { source: 'poll', present: seen !== undefined, visibility: seen, atMs: sentMs }, graceMs);
    if (out.kind === 'held') {
      if (record.present) listed.set(id, record.visibility);
      else listed.delete(id);
    } else if (out.kind === 'event') {
      changes.push({ type: out.event.type, userId: id, visibility: out.event.visibility });
      records.set(id, out.record);
    }
  }
  const v: string[] = [];
  const inv: string[] = [];
  for (const [id, vis] of listed) (vis === 'visible' ? v : inv).push(id);
  return { visible: v, invisible: inv, changes, records };
}
