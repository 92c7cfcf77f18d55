import fc from 'fast-check';
import { applyChanges, diffMembership, Membership, membershipOf } from '../../src/rooms/membership-diff';

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

  it('still reports visible leaves and visibility changes when the invisible list is truncated', () => {
    const result = diffMembership(m(['a', 'b'], ['c']), m(['c'], ['b']), { totalInvisible: 5 });
    expect(sorted(result.changes)).toEqual(['leave:a:visible', 'visibility_change:b:invisible', 'visibility_change:c:visible']);
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

  it('property: with truncation, no invisible leave; the remembered membership is what the events give, less unlisted members over the cap', () => {
    fc.assert(
      fc.property(membership, membership, fc.integer({ min: 0, max: 5 }), (prev, next, unlisted) => {
        const result = diffMembership(prev, next, { totalInvisible: next.invisible.size + unlisted });
        expect(result.changes.some((c) => c.type === 'leave' && c.visibility === 'invisible')).toBe(false);
        const applied = applyChanges(prev, result.changes);
        expect([...result.membership.visible].sort()).toEqual([...applied.visible].sort());
        for (const id of result.membership.invisible) expect(applied.invisible.has(id)).toBe(true);
        for (const id of applied.invisible) {
          if (!result.membership.invisible.has(id)) expect(prev.invisible.has(id) && !next.invisible.has(id)).toBe(true);
        }
        for (const id of next.invisible) expect(result.membership.invisible.has(id)).toBe(true);
        expect(result.membership.invisible.size).toBeLessThanOrEqual(next.invisible.size + unlisted);
      }),
    );
  });
});
