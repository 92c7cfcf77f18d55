/**
 * The member diff: the heart of the event stream. No clock, no I/O; each room's members are one Members
 * object, updated in place.
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

/** What readers see of a room's members (the status page); the store holds the mutable Members. */
export interface Membership {
  readonly size: number;
  readonly visibleCount: number;
  readonly invisibleCount: number;
  visibilityOf(id: string): Visibility | undefined;
  visible(): IterableIterator<string>;
  invisible(): IterableIterator<string>;
}

/** The server counted more users than it listed (in either list). */
export interface Truncation {
  /** TotalInvisibleUser. */
  totalInvisible: number;
  /**
   * TotalUser − TotalInvisibleUser, when the visible list may be short too; absent: the visible list is
   * complete.
   */
  totalVisible?: number;
}

/** Past this generation the marks are renumbered (gen·2 + bit must stay a small integer). */
const MAX_GENERATION = 2 ** 29;
const INVISIBLE = 1;

/**
 * A room's members, kept for the room's life and updated in place: one map from user id to its
 * visibility, plus the generation (poll) that last listed it. A poll that changes the room costs a lookup
 * per listed id and a pass over the map, and allocates its changes and the list of who was not listed;
 * rebuilding two sets from every changed response and diffing them (the design before) allocated the whole
 * membership again each time.
 *
 * Membership is the union of the visible and invisible lists; an id served in both counts as visible. A
 * diff leaves the membership as it was (it only marks the ids it saw): the store commits the changes first
 * and then apply()s them, so a failed commit leaves the room as committed.
 */
export class Members implements Membership {
  /** id → generation last listed · 2 + 1 if invisible. In the order ids were first seen, or as last adopted. */
  private ids = new Map<string, number>();
  private generation = 0;
  private invisibles = 0;

  /** `maxGeneration`: when the marks are renumbered (a parameter for tests only). */
  constructor(private readonly maxGeneration = MAX_GENERATION) {}

  /** Members as listed; an id in both lists counts as visible, a repeated id once. */
  static of(visible: readonly string[], invisible: readonly string[], maxGeneration = MAX_GENERATION): Members {
    const m = new Members(maxGeneration);
    for (const id of visible) m.ids.set(id, 0);
    for (const id of invisible) {
      if (m.ids.has(id)) continue;
      m.ids.set(id, INVISIBLE);
      m.invisibles++;
    }
    return m;
  }

  get size(): number {
    return this.ids.size;
  }

  get visibleCount(): number {
    return this.ids.size - this.invisibles;
  }

  get invisibleCount(): number {
    return this.invisibles;
  }

  visibilityOf(id: string): Visibility | undefined {
    const v = this.ids.get(id);
    return v === undefined ? undefined : v & INVISIBLE ? 'invisible' : 'visible';
  }

  *visible(): IterableIterator<string> {
    for (const [id, v] of this.ids) if (!(v & INVISIBLE)) yield id;
  }

  *invisible(): IterableIterator<string> {
    for (const [id, v] of this.ids) if (v & INVISIBLE) yield id;
  }

  /**
   * Whether lists as served describe exactly these members, in the order the map holds them, decided
   * without a lookup: the cheap test that lets an unchanged room (most polls) skip the diff. Ordered
   * because a list with a duplicate could pass "same size and every id present" while missing a member.
   * Lists in another order only mean `false`: the diff then finds no change, at the cost of a lookup
   * per id.
   */
  sameAsListed(visible: readonly string[], invisible: readonly string[]): boolean {
    if (visible.length !== this.visibleCount || invisible.length !== this.invisibles) return false;
    let v = 0;
    let i = 0;
    let same = true;
    // Distinct map keys equal to the lists element by element: neither list has a duplicate, and an id
    // in one list is not in the other. (forEach, not for-of: no [key, value] pair per entry.)
    this.ids.forEach((mark, id) => {
      if (same && (mark & INVISIBLE ? id !== invisible[i++] : id !== visible[v++])) same = false;
    });
    return same;
  }

  /**
   * Take the order of lists that name exactly these members (after a complete answer was applied), when
   * it differs from the map's: the next unchanged answer then takes the fast path again. The map is
   * rebuilt once when the order changed (a restore from the store, a server that reorders); a server that
   * keeps its order never pays for it. Lists that are not exactly the members (ids held while truncated,
   * repeats) leave the order alone.
   */
  adoptOrder(visible: readonly string[], invisible: readonly string[]): void {
    if (visible.length + invisible.length !== this.ids.size || this.sameAsListed(visible, invisible)) return;
    const ordered = new Map<string, number>();
    const take = (list: readonly string[], bit: number): boolean => {
      for (const id of list) {
        const mark = this.ids.get(id);
        if (mark === undefined || (mark & INVISIBLE) !== bit || ordered.has(id)) return false;
        ordered.set(id, mark);
      }
      return true;
    };
    if (take(visible, 0) && take(invisible, INVISIBLE)) this.ids = ordered;
  }

  /**
   * The changes from these members to the lists as served, without applying them (apply() does, once
   * they are committed).
   * @param truncation set when the server listed fewer users than it counted, in either list. A remembered
   *   member missing from both lists (visible or invisible before) may be in an unlisted part, so it is
   *   held as undecided: no event, kept under its previous list, and the next complete list resolves it by
   *   the normal diff (`visibility_change`, `leave` or nothing). At most `totalInvisible - listed invisible`
   *   plus `totalVisible - listed visible` members can be unlisted; the undecided beyond that cannot all be
   *   present, so those evicted get a `leave` now (kept first: the members of a list that is short, the
   *   invisible list's when both are, then earliest seen first).
   *   That keeps every room's event stream a consistent log: a member evicted here and seen again later gets
   *   a `join` after its `leave`, never a second `join`.
   */
  diff(visible: readonly string[], invisible: readonly string[], truncation?: Truncation): MemberChange[] {
    const gen = this.nextGeneration();
    const changes: MemberChange[] = [];
    let joined: Set<string> | undefined;
    let listedInvisible = 0;
    let listedVisible = 0;
    const see = (id: string, visibility: Visibility): void => {
      const mark = this.ids.get(id);
      if (mark === undefined) {
        // New: a join, once, however often it is listed.
        joined ??= new Set();
        if (joined.has(id)) return;
        joined.add(id);
        if (visibility === 'invisible') listedInvisible++;
        else listedVisible++;
        changes.push({ type: 'join', userId: id, visibility });
        return;
      }
      if (mark >> 1 === gen) return; // already listed in this answer (visible wins over invisible)
      this.ids.set(id, (gen << 1) | (mark & INVISIBLE));
      if (visibility === 'invisible') listedInvisible++;
      else listedVisible++;
      if ((mark & INVISIBLE ? 'invisible' : 'visible') !== visibility) changes.push({ type: 'visibility_change', userId: id, visibility });
    };
    for (const id of visible) see(id, 'visible');
    for (const id of invisible) see(id, 'invisible');

    // Members this answer did not list, visible ones first (the order of the events).
    const goneVisible: string[] = [];
    const goneInvisible: string[] = [];
    this.ids.forEach((mark, id) => {
      if (mark >> 1 !== gen) (mark & INVISIBLE ? goneInvisible : goneVisible).push(id);
    });
    if (!truncation) {
      for (const id of goneVisible) changes.push({ type: 'leave', userId: id, visibility: 'visible' });
      for (const id of goneInvisible) changes.push({ type: 'leave', userId: id, visibility: 'invisible' });
      return changes;
    }
    const invisibleSlots = Math.max(0, truncation.totalInvisible - listedInvisible);
    const visibleSlots = truncation.totalVisible === undefined ? 0 : Math.max(0, truncation.totalVisible - listedVisible);
    let slots = invisibleSlots + visibleSlots;
    const hold = (ids: readonly string[], visibility: Visibility): void => {
      for (const id of ids) {
        if (slots > 0) slots--;
        else changes.push({ type: 'leave', userId: id, visibility });
      }
    };
    // A member is most likely still in the list it was in: that list's members are kept first.
    if (invisibleSlots > 0 || visibleSlots === 0) {
      hold(goneInvisible, 'invisible');
      hold(goneVisible, 'visible');
    } else {
      hold(goneVisible, 'visible');
      hold(goneInvisible, 'invisible');
    }
    return changes;
  }

  /** Apply changes (a diff's, once committed): joins are added, leaves removed, visibility set. */
  apply(changes: readonly MemberChange[]): void {
    for (const c of changes) {
      const mark = this.ids.get(c.userId);
      if (mark !== undefined && mark & INVISIBLE) this.invisibles--;
      if (c.type === 'leave') {
        this.ids.delete(c.userId);
        continue;
      }
      const bit = c.visibility === 'invisible' ? INVISIBLE : 0;
      this.ids.set(c.userId, ((mark ?? this.generation << 1) & ~INVISIBLE) | bit);
      if (bit) this.invisibles++;
    }
  }

  private nextGeneration(): number {
    if (++this.generation >= this.maxGeneration) {
      for (const [id, mark] of this.ids) this.ids.set(id, mark & INVISIBLE);
      this.generation = 1;
    }
    return this.generation;
  }
}
