import type { ChangeType, Visibility } from './membership-diff';

/**
 * The rule that orders the two sources of member changes (a vendor callback, a poll) for one member. Pure
 * and clock-free: (what is recorded, what was observed, the grace) → the new record and at most one event.
 *
 * Every member's record carries the time of the change that set it: a callback's own Timestamp, or the
 * moment a poll's request was sent. Callbacks may arrive late, twice or out of order, and the vendor's
 * online list may lag its own callbacks, so:
 * - a callback older than the recorded change is stale (no event, record unchanged);
 * - a callback that says what is already recorded is a repeat or a confirmation: no event, but the record
 *   takes its time if newer (the state held then, so anything older than it is stale: a join seen twice
 *   around a lost leave must not let that leave in later);
 * - a poll that confirms the record leaves it alone (the vendor's list may lag, so a poll's time says less
 *   than a callback's about when a state held);
 * - a poll never undoes a change newer than its request, nor a callback's change that is not older than its
 *   request by more than `graceMs` (the vendor's list catching up, or clocks apart);
 * - whatever else a poll finds is real: an event with source `poll` (for a callback-fed room, a miss the
 *   callbacks made).
 * A leave is recorded too (present: false), so a late join callback from before it stays stale.
 */

export type ChangeSource = 'poll' | 'callback';

export interface MemberRecord {
  present: boolean;
  /** The visibility while present (and, for a leave, the one it had). */
  visibility: Visibility;
  /** Milliseconds since the epoch of the change that set this state. */
  changedAtMs: number;
  source: ChangeSource;
}

export interface Observation {
  source: ChangeSource;
  present: boolean;
  /** Required when present; ignored for a leave. */
  visibility?: Visibility;
  /** A callback's Timestamp, or the moment the poll's request was sent. */
  atMs: number;
}

export type Outcome =
  | { kind: 'event'; record: MemberRecord; event: { type: ChangeType; visibility: Visibility } }
  | { kind: 'same'; record: MemberRecord }
  | { kind: 'stale' }
  | { kind: 'held' };

/** (record, observation, grace) → outcome. `record` undefined: the member was never seen (not present). */
export function decideChange(record: MemberRecord | undefined, obs: Observation, graceMs: number): Outcome {
  if (record) {
    if (obs.source === 'callback' && obs.atMs < record.changedAtMs) return { kind: 'stale' };
    if (obs.source === 'poll') {
      if (record.changedAtMs > obs.atMs) return { kind: 'held' };
      if (record.source === 'callback' && obs.atMs - record.changedAtMs <= graceMs) return { kind: 'held' };
    }
  }
  const wasPresent = record?.present === true;
  const visibility: Visibility = obs.present ? (obs.visibility ?? 'visible') : (record?.visibility ?? 'visible');
  const next: MemberRecord = { present: obs.present, visibility, changedAtMs: obs.atMs, source: obs.source };
  if ((!wasPresent && !obs.present) || (wasPresent && obs.present && record!.visibility === visibility)) {
    if (!record) return { kind: 'same', record: next };
    if (obs.source === 'poll' || obs.atMs <= record.changedAtMs) return { kind: 'same', record };
    return { kind: 'same', record: { ...record, changedAtMs: obs.atMs, source: 'callback' } };
  }
  if (!wasPresent) return { kind: 'event', record: next, event: { type: 'join', visibility } };
  if (!obs.present) return { kind: 'event', record: next, event: { type: 'leave', visibility: record!.visibility } };
  return { kind: 'event', record: next, event: { type: 'visibility_change', visibility } };
}
