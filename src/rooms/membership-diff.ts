/**
 * Member-set diff: the pure heart of the event stream. No clock, no I/O.
 *
 * Membership is the union of the visible and invisible lists. Between two successful polls an id new to
 * the union is a `join`, an id gone from it a `leave`, and an id that moved list a `visibility_change`.
 */

export type Visibility = 'visible' | 'invisible';
export type ChangeType = 'join' | 'leave' | 'visibility_change';

export interface MemberChange {
  type: ChangeType;
  userId: string;
  /** The member's visibility after the change (for a leave: the one it had). */
  visibility: Visibility;
}

export interface Membership {
  visible: ReadonlySet<string>;
  invisible: ReadonlySet<string>;
}

export interface DiffResult {
  changes: MemberChange[];
  /**
   * The membership to remember; always `applyChanges(prev, changes)`, so the event stream alone replays
   * it. Equal to `next` except when the invisible list was truncated: then members missing from both
   * lists are undecided (they may sit in the unlisted part) and stay under their previous list, with no
   * event, up to the number of unlisted invisible users.
   */
  membership: Membership;
}

/** The server counted more invisible users than it listed. */
export interface Truncation {
  totalInvisible: number;
}

export const EMPTY_MEMBERSHIP: Membership = { visible: new Set(), invisible: new Set() };

/** Build a Membership from the lists as served; an id in both lists counts as visible. */
export function membershipOf(visible: readonly string[], invisible: readonly string[]): Membership {
  const v = new Set(visible);
  const inv = new Set<string>();
  for (const id of invisible) if (!v.has(id)) inv.add(id);
  return { visible: v, invisible: inv };
}

/**
 * Whether lists as served build exactly `prev` (`membershipOf(visible, invisible)` equals it), decided
 * without building anything: the cheap test that lets an unchanged room (most polls) skip the diff.
 * Each list is compared in order with its set's iteration order, which is the order membershipOf inserted
 * the ids. An ordered comparison (not "same size and every id present") because a list with a duplicate
 * could pass that test while missing a member. A list served in another order only means `false`: the
 * caller takes the full diff, which is always right.
 */
export function sameAsListed(prev: Membership, visible: readonly string[], invisible: readonly string[]): boolean {
  return inListOrder(prev.visible, visible) && inListOrder(prev.invisible, invisible);
}

function inListOrder(set: ReadonlySet<string>, list: readonly string[]): boolean {
  if (set.size !== list.length) return false;
  let i = 0;
  // Distinct set members equal to the list element by element: the list has no duplicates, and an
  // invisible id cannot also be visible (the two sets of a Membership are disjoint).
  for (const id of set) if (id !== list[i++]) return false;
  return true;
}

/**
 * @param truncation set when the server listed fewer invisible users than it counted. A remembered member
 *   missing from both lists (visible or invisible before) may have turned or stayed invisible in the
 *   unlisted part, so it is held as undecided: no event, kept under its previous list, and the next
 *   complete list resolves it by the normal diff (`visibility_change`, `leave` or nothing). At most
 *   `totalInvisible - listed` members can be unlisted; the undecided beyond that cannot all be present, so
 *   those evicted get a `leave` now (previously invisible ones are kept first, then earliest seen first).
 *   That keeps every room's event stream a consistent log: a member evicted here and seen again later gets
 *   a `join` after its `leave`, never a second `join`.
 */
export function diffMembership(prev: Membership, next: Membership, truncation?: Truncation): DiffResult {
  const changes: MemberChange[] = [];
  for (const id of next.visible) {
    if (prev.visible.has(id)) continue;
    changes.push({ type: prev.invisible.has(id) ? 'visibility_change' : 'join', userId: id, visibility: 'visible' });
  }
  for (const id of next.invisible) {
    if (prev.invisible.has(id)) continue;
    changes.push({ type: prev.visible.has(id) ? 'visibility_change' : 'join', userId: id, visibility: 'invisible' });
  }
  const listed = (id: string): boolean => next.visible.has(id) || next.invisible.has(id);

  if (!truncation) {
    for (const id of prev.visible) if (!listed(id)) changes.push({ type: 'leave', userId: id, visibility: 'visible' });
    for (const id of prev.invisible) if (!listed(id)) changes.push({ type: 'leave', userId: id, visibility: 'invisible' });
    return { changes, membership: next };
  }

  let slots = Math.max(0, truncation.totalInvisible - next.invisible.size);
  const visible = new Set(next.visible);
  const invisible = new Set(next.invisible);
  const hold = (id: string, was: Visibility): void => {
    if (slots > 0) {
      slots--;
      (was === 'visible' ? visible : invisible).add(id);
    } else {
      changes.push({ type: 'leave', userId: id, visibility: was });
    }
  };
  for (const id of prev.invisible) if (!listed(id)) hold(id, 'invisible');
  for (const id of prev.visible) if (!listed(id)) hold(id, 'visible');
  return { changes, membership: { visible, invisible } };
}

/** Apply changes to a membership (the inverse check used by property tests and state replay). */
export function applyChanges(prev: Membership, changes: readonly MemberChange[]): Membership {
  const visible = new Set(prev.visible);
  const invisible = new Set(prev.invisible);
  for (const c of changes) {
    visible.delete(c.userId);
    invisible.delete(c.userId);
    if (c.type !== 'leave') (c.visibility === 'visible' ? visible : invisible).add(c.userId);
  }
  return { visible, invisible };
}
