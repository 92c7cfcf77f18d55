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
   * The membership to remember. Equal to `next` except when the invisible list was truncated: then
   * invisible members that merely fell off the list are kept (up to the server's own invisible count),
   * since their absence proves nothing.
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
 * @param truncation set when the server listed fewer invisible users than it counted: an invisible member
 *   missing from `next` may still be there, so no invisible leave is emitted for this pair of polls. At most
 *   `totalInvisible - listed` such members are remembered (earliest seen first), so a long truncated spell
 *   cannot grow the remembered set beyond the room's real size.
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
  for (const id of prev.visible) {
    if (!next.visible.has(id) && !next.invisible.has(id)) changes.push({ type: 'leave', userId: id, visibility: 'visible' });
  }

  let membership = next;
  if (truncation) {
    let room = truncation.totalInvisible - next.invisible.size;
    let kept: Set<string> | undefined;
    for (const id of prev.invisible) {
      if (room <= 0) break;
      if (next.invisible.has(id) || next.visible.has(id)) continue;
      kept ??= new Set(next.invisible);
      kept.add(id);
      room--;
    }
    if (kept) membership = { visible: next.visible, invisible: kept };
  } else {
    for (const id of prev.invisible) {
      if (!next.invisible.has(id) && !next.visible.has(id)) changes.push({ type: 'leave', userId: id, visibility: 'invisible' });
    }
  }
  return { changes, membership };
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
