import fc from 'fast-check';
import { applyChanges, diffMembership, Membership, membershipOf, sameAsListed } from '../../src/rooms/membership-diff';

const m = (visible: string[], invisible: string[] = []): Membership => membershipOf(visible, invisible);
const sorted = (changes: { type: string; userId: string; visibility: string }[]): string[] =>
  changes.map((c) => `${c.type}:${c.userId}:${c.visibility}`).sort();

describe('diffMembership', () => {
  it.each([
    ['no change', m(['a'], ['b']), m(['a'], ['b']), []],
    ['visible join', m([]), m(['a']), ['join:a:visible']],
    ['invisible join', m([]), m([], ['a']), ['join:a:invisible']],
    ['visible leave', m(['a']), m([]), ['leave:a:visible']],
    ['invisible leave', m([], ['a']), m([]), ['leave:a:invisible']],
    ['becomes invisible', m(['a']), m([], ['a']), ['visibility_change:a:invisible']],
    ['becomes visible', m([], ['a']), m(['a']), ['visibility_change:a:visible']],
    ['room emptied', m(['a', 'b'], ['c']), m([]), ['leave:a:visible', 'leave:b:visible', 'leave:c:invisible']],
    ['mixed', m(['a', 'b'], ['c']), m(['b', 'c'], ['d']), ['join:d:invisible', 'leave:a:visible', 'visibility_change:c:visible']],
  ])('%s', (_name, prev, next, expected) => {
    expect(sorted(diffMembership(prev, next).changes)).toEqual(expected);
  });

  it('treats an id listed as both visible and invisible as visible', () => {
    const both = membershipOf(['a'], ['a', 'b']);
    expect([...both.visible]).toEqual(['a']);
    expect([...both.invisible]).toEqual(['b']);
  });

  it('withholds invisible leaves when the invisible list is truncated, but still reports joins', () => {
    const prev = m(['v'], ['i1', 'i2', 'i3']);
    const next = m(['v'], ['i1', 'i4']);
    const result = diffMembership(prev, next, { totalInvisible: 4 });
    expect(sorted(result.changes)).toEqual(['join:i4:invisible']);
    // The withheld members stay remembered, so a later full list can still report their leave.
    expect([...result.membership.invisible].sort()).toEqual(['i1', 'i2', 'i3', 'i4']);
    const later = diffMembership(result.membership, m(['v'], ['i1']));
    expect(sorted(later.changes)).toEqual(['leave:i2:invisible', 'leave:i3:invisible', 'leave:i4:invisible']);
  });

  it('still reports visibility changes when the invisible list is truncated', () => {
    const result = diffMembership(m(['b'], ['c']), m(['c'], ['b']), { totalInvisible: 5 });
    expect(sorted(result.changes)).toEqual(['visibility_change:b:invisible', 'visibility_change:c:visible']);
  });

  it('holds a visible member who vanishes while the list is truncated as undecided, then reports a visibility change, not leave + join', () => {
    const held = diffMembership(m(['a', 'b']), m(['b'], ['x']), { totalInvisible: 3 });
    expect(sorted(held.changes)).toEqual(['join:x:invisible']);
    expect([...held.membership.visible].sort()).toEqual(['a', 'b']);
    const resolved = diffMembership(held.membership, m(['b'], ['a', 'x']));
    expect(sorted(resolved.changes)).toEqual(['visibility_change:a:invisible']);
  });

  it('reports the leave of an undecided visible member once a complete list does not show it', () => {
    const held = diffMembership(m(['a', 'b']), m(['b'], ['x']), { totalInvisible: 3 });
    expect(sorted(diffMembership(held.membership, m(['b'], ['x'])).changes)).toEqual(['leave:a:visible']);
  });

  it('when more members are undecided than unlisted slots, evicts the extra ones with a leave, so a later return is a join after a leave', () => {
    const evicting = diffMembership(m([], ['a', 'b']), m([], ['c']), { totalInvisible: 2 });
    expect(sorted(evicting.changes)).toEqual(['join:c:invisible', 'leave:b:invisible']);
    expect([...evicting.membership.invisible].sort()).toEqual(['a', 'c']);
    const back = diffMembership(evicting.membership, m([], ['a', 'b', 'c']));
    expect(sorted(back.changes)).toEqual(['join:b:invisible']);
  });

  it('never remembers more invisible members than the server counts, however long the truncation lasts', () => {
    let mem = m([], ['a', 'b', 'c']);
    for (const listed of [['d'], ['e'], ['f'], ['g'], ['h']]) {
      mem = diffMembership(mem, m([], listed), { totalInvisible: 3 }).membership;
      expect(mem.invisible.size).toBeLessThanOrEqual(3);
    }
    // Once the list is complete again, only members really gone are reported as leaving.
    const full = diffMembership(mem, m([], ['h', 'x', 'y']));
    expect(full.changes.filter((c) => c.type === 'leave')).toHaveLength(mem.invisible.size - 1);
  });

  const ids = fc.uniqueArray(fc.constantFrom(...'abcdefghijklmnop'.split('')), { maxLength: 16 });
  const membership = fc.tuple(ids, ids).map(([v, i]) => membershipOf(v, i));
  const asSorted = (x: Membership): [string[], string[]] => [[...x.visible].sort(), [...x.invisible].sort()];

  it('property: applying the events to the old membership gives the new one', () => {
    fc.assert(
      fc.property(membership, membership, (prev, next) => {
        const { changes, membership: kept } = diffMembership(prev, next);
        expect(asSorted(applyChanges(prev, changes))).toEqual(asSorted(next));
        expect(asSorted(kept)).toEqual(asSorted(next));
      }),
    );
  });

  it('property: each id gets at most one event, and no event for an unchanged member', () => {
    fc.assert(
      fc.property(membership, membership, (prev, next) => {
        const { changes } = diffMembership(prev, next);
        const ids = changes.map((c) => c.userId);
        expect(new Set(ids).size).toBe(ids.length);
        for (const id of next.visible) if (prev.visible.has(id)) expect(ids).not.toContain(id);
        for (const id of next.invisible) if (prev.invisible.has(id)) expect(ids).not.toContain(id);
      }),
    );
  });

  /** Replays events as a log, failing on a join of a member, a leave of a non-member or a no-op change. */
  function replay(log: Map<string, 'visible' | 'invisible'>, changes: readonly { type: string; userId: string; visibility: 'visible' | 'invisible' }[]): void {
    for (const c of changes) {
      const was = log.get(c.userId);
      if (c.type === 'join') expect({ join: c.userId, was }).toEqual({ join: c.userId, was: undefined });
      if (c.type === 'leave') expect({ leave: c.userId, was }).toEqual({ leave: c.userId, was: c.visibility });
      if (c.type === 'visibility_change') expect({ change: c.userId, was }).toEqual({ change: c.userId, was: c.visibility === 'visible' ? 'invisible' : 'visible' });
      if (c.type === 'leave') log.delete(c.userId);
      else log.set(c.userId, c.visibility);
    }
  }

  const poll = fc.record({
    truth: membership,
    truncate: fc.boolean(),
    keep: fc.array(fc.boolean(), { minLength: 16, maxLength: 16 }),
  });

  it('property: over any poll sequence, truncated or not, the events form a consistent log that replays to the remembered membership', () => {
    fc.assert(
      fc.property(membership, fc.array(poll, { maxLength: 12 }), (baseline, polls) => {
        let mem = baseline;
        const log = new Map<string, 'visible' | 'invisible'>();
        for (const id of baseline.visible) log.set(id, 'visible');
        for (const id of baseline.invisible) log.set(id, 'invisible');
        for (const { truth, truncate, keep } of polls) {
          // A truncated answer lists only some of the invisible members but counts them all.
          const listed = truncate ? [...truth.invisible].filter((_, i) => keep[i]) : [...truth.invisible];
          const next = membershipOf([...truth.visible], listed);
          const truncation = listed.length < truth.invisible.size ? { totalInvisible: truth.invisible.size } : undefined;
          const prev = mem;
          const result = diffMembership(prev, next, truncation);
          replay(log, result.changes);
          expect(asSorted(applyChanges(prev, result.changes))).toEqual(asSorted(result.membership));
          expect(asSorted({ visible: new Set([...log].filter(([, v]) => v === 'visible').map(([id]) => id)), invisible: new Set([...log].filter(([, v]) => v === 'invisible').map(([id]) => id)) })).toEqual(asSorted(result.membership));
          // Every listed member is remembered in its list; never more invisible-or-undecided than counted.
          for (const id of next.visible) expect(result.membership.visible.has(id)).toBe(true);
          for (const id of next.invisible) expect(result.membership.invisible.has(id)).toBe(true);
          const unlisted = result.membership.visible.size + result.membership.invisible.size - next.visible.size - next.invisible.size;
          expect(unlisted).toBeLessThanOrEqual(truncation ? truncation.totalInvisible - next.invisible.size : 0);
          if (!truncation) expect(asSorted(result.membership)).toEqual(asSorted(next));
          mem = result.membership;
        }
      }),
    );
  });
});

describe('sameAsListed (the unchanged-room fast path)', () => {
  it.each([
    ['the lists that built it', m(['a', 'b'], ['c']), ['a', 'b'], ['c'], true],
    ['empty room', m([]), [], [], true],
    ['a visible join', m(['a']), ['a', 'b'], [], false],
    ['a member turned invisible', m(['a', 'b']), ['a'], ['b'], false],
    ['same ids in another order (the full diff decides)', m(['a', 'b']), ['b', 'a'], [], false],
    // Same length and every id present, yet b is gone: "size + has" would call this unchanged.
    ['a duplicate hides a leave', m(['a', 'b']), ['a', 'a'], [], false],
    ['an id served in both lists', m(['a'], ['b']), ['a'], ['a'], false],
  ])('%s', (_name, prev, visible, invisible, expected) => {
    expect(sameAsListed(prev, visible, invisible)).toBe(expected);
  });

  // Lists with duplicates and ids in both lists, as a careless server might send them.
  const list = fc.array(fc.constantFrom(...'abcdefgh'.split('')), { maxLength: 10 });

  it('property: when it says unchanged, the full diff agrees (no changes, the same membership)', () => {
    fc.assert(
      fc.property(list, list, list, list, (pv, pi, v, i) => {
        const prev = membershipOf(pv, pi);
        const slow = diffMembership(prev, membershipOf(v, i));
        if (sameAsListed(prev, v, i)) {
          expect(slow.changes).toEqual([]);
          expect(asSet(slow.membership)).toEqual(asSet(prev));
        }
      }),
    );
  });

  it('property: lists served again in the same order always take the fast path', () => {
    fc.assert(
      fc.property(ids, ids, (v, i) => {
        const served = [v, i.filter((id) => !v.includes(id))] as const;
        expect(sameAsListed(membershipOf(...served), ...served)).toBe(true);
      }),
    );
  });

  const ids = fc.uniqueArray(fc.constantFrom(...'abcdefghijklmnop'.split('')), { maxLength: 16 });
  const asSet = (x: Membership): [string[], string[]] => [[...x.visible].sort(), [...x.invisible].sort()];
});
