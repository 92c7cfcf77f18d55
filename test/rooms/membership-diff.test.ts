import fc from 'fast-check';
import { MemberChange, Members, Membership, Truncation, Visibility } from '../../src/rooms/membership-diff';

const m = (visible: string[], invisible: string[] = []): Members => Members.of(visible, invisible);
const sorted = (changes: readonly MemberChange[]): string[] => changes.map((c) => `${c.type}:${c.userId}:${c.visibility}`).sort();
const lists = (x: Membership): [string[], string[]] => [[...x.visible()].sort(), [...x.invisible()].sort()];

/** Diff, then apply (as the store does after a successful commit); returns the changes. */
function step(members: Members, visible: string[], invisible: string[] = [], truncation?: Truncation): MemberChange[] {
  const changes = members.diff(visible, invisible, truncation);
  members.apply(changes);
  return changes;
}

/** The members as the lists describe them, built independently of Members: an id in both lists is visible. */
function expected(visible: readonly string[], invisible: readonly string[]): [string[], string[]] {
  const v = new Set(visible);
  return [[...v].sort(), [...new Set(invisible.filter((id) => !v.has(id)))].sort()];
}

describe('Members.diff', () => {
  it.each<[string, [string[], string[]], [string[], string[]], string[]]>([
    ['no change', [['a'], ['b']], [['a'], ['b']], []],
    ['visible join', [[], []], [['a'], []], ['join:a:visible']],
    ['invisible join', [[], []], [[], ['a']], ['join:a:invisible']],
    ['visible leave', [['a'], []], [[], []], ['leave:a:visible']],
    ['invisible leave', [[], ['a']], [[], []], ['leave:a:invisible']],
    ['becomes invisible', [['a'], []], [[], ['a']], ['visibility_change:a:invisible']],
    ['becomes visible', [[], ['a']], [['a'], []], ['visibility_change:a:visible']],
    ['room emptied', [['a', 'b'], ['c']], [[], []], ['leave:a:visible', 'leave:b:visible', 'leave:c:invisible']],
    ['mixed', [['a', 'b'], ['c']], [['b', 'c'], ['d']], ['join:d:invisible', 'leave:a:visible', 'visibility_change:c:visible']],
    ['a new id listed twice joins once', [[], []], [['a', 'a'], ['a']], ['join:a:visible']],
  ])('%s', (_name, [pv, pi], [nv, ni], changes) => {
    const members = m(pv, pi);
    expect(sorted(step(members, nv, ni))).toEqual(changes);
    expect(lists(members)).toEqual(expected(nv, ni));
  });

  it('treats an id listed as both visible and invisible as visible', () => {
    const both = m(['a'], ['a', 'b']);
    expect(lists(both)).toEqual([['a'], ['b']]);
    expect([both.visibleCount, both.invisibleCount, both.size]).toEqual([1, 1, 2]);
    expect(both.visibilityOf('a')).toBe('visible');
    expect(both.visibilityOf('zz')).toBeUndefined();
  });

  it('changes nothing until the changes are applied (a failed commit leaves the room as committed)', () => {
    const members = m(['a', 'b'], ['c']);
    const changes = members.diff(['b', 'd'], ['a']);
    expect(sorted(changes)).toEqual(['join:d:visible', 'leave:c:invisible', 'visibility_change:a:invisible']);
    expect(lists(members)).toEqual([['a', 'b'], ['c']]);
    // Diffing again (the next poll after the failure) still reports everything, once.
    expect(sorted(members.diff(['b', 'd'], ['a']))).toEqual(sorted(changes));
    members.apply(changes);
    expect(lists(members)).toEqual([['b', 'd'], ['a']]);
    expect([members.visibleCount, members.invisibleCount]).toEqual([2, 1]);
  });

  it('withholds invisible leaves when the invisible list is truncated, but still reports joins', () => {
    const members = m(['v'], ['i1', 'i2', 'i3']);
    expect(sorted(step(members, ['v'], ['i1', 'i4'], { totalInvisible: 4 }))).toEqual(['join:i4:invisible']);
    // The withheld members stay remembered, so a later full list can still report their leave.
    expect(lists(members)[1]).toEqual(['i1', 'i2', 'i3', 'i4']);
    expect(sorted(step(members, ['v'], ['i1']))).toEqual(['leave:i2:invisible', 'leave:i3:invisible', 'leave:i4:invisible']);
  });

  it('still reports visibility changes when the invisible list is truncated', () => {
    expect(sorted(step(m(['b'], ['c']), ['c'], ['b'], { totalInvisible: 5 }))).toEqual(['visibility_change:b:invisible', 'visibility_change:c:visible']);
  });

  it('holds a visible member who vanishes while the list is truncated as undecided, then reports a visibility change, not leave + join', () => {
    const members = m(['a', 'b']);
    expect(sorted(step(members, ['b'], ['x'], { totalInvisible: 3 }))).toEqual(['join:x:invisible']);
    expect(lists(members)[0]).toEqual(['a', 'b']);
    expect(sorted(step(members, ['b'], ['a', 'x']))).toEqual(['visibility_change:a:invisible']);
  });

  it('reports the leave of an undecided visible member once a complete list does not show it', () => {
    const members = m(['a', 'b']);
    step(members, ['b'], ['x'], { totalInvisible: 3 });
    expect(sorted(step(members, ['b'], ['x']))).toEqual(['leave:a:visible']);
  });

  it('when more members are undecided than unlisted slots, evicts the extra ones with a leave, so a later return is a join after a leave', () => {
    const members = m([], ['a', 'b']);
    expect(sorted(step(members, [], ['c'], { totalInvisible: 2 }))).toEqual(['join:c:invisible', 'leave:b:invisible']);
    expect(lists(members)[1]).toEqual(['a', 'c']);
    expect(sorted(step(members, [], ['a', 'b', 'c']))).toEqual(['join:b:invisible']);
  });

  it('never remembers more invisible members than the server counts, however long the truncation lasts', () => {
    const members = m([], ['a', 'b', 'c']);
    for (const listed of [['d'], ['e'], ['f'], ['g'], ['h']]) {
      step(members, [], listed, { totalInvisible: 3 });
      expect(members.invisibleCount).toBeLessThanOrEqual(3);
    }
    // Once the list is complete again, only members really gone are reported as leaving.
    const held = members.invisibleCount;
    expect(step(members, [], ['h', 'x', 'y']).filter((c) => c.type === 'leave')).toHaveLength(held - 1);
  });

  // A VisibleUserList shorter than TotalUser − TotalInvisibleUser is a truncated list too (issue #18): a
  // member missing from it may be in the unlisted part, so it must not "leave".
  it.each<[string, Members, string[], string[], Truncation | undefined, string[], [string[], string[]]]>([
    ['a short visible list withholds the leaves of unlisted members', m(['a', 'b', 'c']), ['a'], [], { totalInvisible: 0, totalVisible: 3 }, [], [['a', 'b', 'c'], []]],
    ['joins of listed new members are still reported', m(['a', 'b']), ['a', 'n'], [], { totalInvisible: 0, totalVisible: 3 }, ['join:n:visible'], [['a', 'b', 'n'], []]],
    ['undecided beyond the unlisted slots leave, earliest seen kept first', m(['a', 'b', 'c', 'd']), ['a'], [], { totalInvisible: 0, totalVisible: 2 }, ['leave:c:visible', 'leave:d:visible'], [['a', 'b'], []]],
    ['with only the visible list short, previously visible members are kept first', m(['a'], ['x']), [], [], { totalInvisible: 0, totalVisible: 1 }, ['leave:x:invisible'], [['a'], []]],
    ['both lists short: the slots of both are counted', m(['a'], ['x', 'y']), [], ['y'], { totalInvisible: 2, totalVisible: 1 }, [], [['a'], ['x', 'y']]],
    ['visibility changes are still reported', m(['a', 'b'], ['x']), ['x'], ['a'], { totalInvisible: 1, totalVisible: 2 }, ['visibility_change:a:invisible', 'visibility_change:x:visible'], [['b', 'x'], ['a']]],
    ['a visible list as long as its count is complete: a missing member leaves', m(['a', 'b']), ['a'], [], undefined, ['leave:b:visible'], [['a'], []]],
  ])('%s', (_name, members, visible, invisible, truncation, changes, after) => {
    expect(sorted(step(members, visible, invisible, truncation))).toEqual(changes);
    expect(lists(members)).toEqual(after);
  });

  it('reports the leave of a member held by a short visible list once a complete list does not show it', () => {
    const members = m(['a', 'b', 'c']);
    expect(step(members, ['a'], [], { totalInvisible: 0, totalVisible: 3 })).toEqual([]);
    expect(sorted(step(members, ['a', 'c']))).toEqual(['leave:b:visible']);
  });

  it('updates in place, keeping the map order: members listed in join order keep the fast path after joins and leaves', () => {
    const members = m(['a', 'b', 'c'], ['x']);
    step(members, ['a', 'c', 'd'], ['x', 'y']);
    expect(members.sameAsListed(['a', 'c', 'd'], ['x', 'y'])).toBe(true);
  });

  const ids = fc.uniqueArray(fc.constantFrom(...'abcdefghijklmnop'.split('')), { maxLength: 16 });
  /** Served lists, as a careless server might send them: repeats, and ids in both lists. */
  const served = fc.tuple(fc.array(fc.constantFrom(...'abcdefghij'.split('')), { maxLength: 12 }), fc.array(fc.constantFrom(...'abcdefghij'.split('')), { maxLength: 12 }));

  it('property: applying the changes gives the members as listed, each id changes at most once, and unchanged ones not at all', () => {
    fc.assert(
      fc.property(served, served, ([pv, pi], [nv, ni]) => {
        const members = m(pv, pi);
        const before = new Map([...members.visible()].map((id): [string, Visibility] => [id, 'visible']).concat([...members.invisible()].map((id) => [id, 'invisible'])));
        const changes = step(members, nv, ni);
        expect(lists(members)).toEqual(expected(nv, ni));
        const changed = changes.map((c) => c.userId);
        expect(new Set(changed).size).toBe(changed.length);
        for (const [id, visibility] of before) if (members.visibilityOf(id) === visibility) expect(changed).not.toContain(id);
      }),
    );
  });

  /** Replays events as a log, failing on a join of a member, a leave of a non-member or a no-op change. */
  function replay(log: Map<string, Visibility>, changes: readonly MemberChange[]): void {
    for (const c of changes) {
      const was = log.get(c.userId);
      if (c.type === 'join') expect({ join: c.userId, was }).toEqual({ join: c.userId, was: undefined });
      if (c.type === 'leave') expect({ leave: c.userId, was }).toEqual({ leave: c.userId, was: c.visibility });
      if (c.type === 'visibility_change') expect({ change: c.userId, was }).toEqual({ change: c.userId, was: c.visibility === 'visible' ? 'invisible' : 'visible' });
      if (c.type === 'leave') log.delete(c.userId);
      else log.set(c.userId, c.visibility);
    }
  }
  const logLists = (log: Map<string, Visibility>): [string[], string[]] => [
    [...log].filter(([, v]) => v === 'visible').map(([id]) => id).sort(),
    [...log].filter(([, v]) => v === 'invisible').map(([id]) => id).sort(),
  ];

  const poll = fc.record({
    truth: fc.tuple(ids, ids).map(([v, i]) => [v, i.filter((id) => !v.includes(id))] as const),
    truncate: fc.boolean(),
    keep: fc.array(fc.boolean(), { minLength: 16, maxLength: 16 }),
    truncateVisible: fc.boolean(),
    keepVisible: fc.array(fc.boolean(), { minLength: 16, maxLength: 16 }),
    commits: fc.boolean(),
  });

  it('property: over any poll sequence, either list truncated or not, with failed commits and reorders, the events form a consistent log that replays to the members', () => {
    fc.assert(
      fc.property(ids, ids, fc.array(poll, { maxLength: 12 }), fc.integer({ min: 2, max: 6 }), (bv, bi, polls, maxGeneration) => {
        // A tiny generation limit, so the marks are renumbered during the run too.
        const members = Members.of(bv, bi, maxGeneration);
        const log = new Map<string, Visibility>();
        for (const id of members.visible()) log.set(id, 'visible');
        for (const id of members.invisible()) log.set(id, 'invisible');
        for (const { truth, truncate, keep, truncateVisible, keepVisible, commits } of polls) {
          const [allVisible, invisible] = truth;
          // A truncated answer lists only some of the members of a list but counts them all.
          const listed = truncate ? invisible.filter((_, i) => keep[i]) : [...invisible];
          const visible = truncateVisible ? allVisible.filter((_, i) => keepVisible[i]) : [...allVisible];
          const short = listed.length < invisible.length || visible.length < allVisible.length;
          const truncation = short ? { totalInvisible: invisible.length, totalVisible: allVisible.length } : undefined;
          const changes = members.diff([...visible], listed, truncation);
          if (!commits) continue; // the commit failed: nothing applied, nothing logged
          members.apply(changes);
          // As the store does after a complete answer (a no-op unless the lists are exactly the members).
          if (!truncation) members.adoptOrder([...visible].reverse(), [...listed].reverse());
          replay(log, changes);
          expect(logLists(log)).toEqual(lists(members));
          // Every listed member is remembered in its list; never more undecided than unlisted slots.
          for (const id of visible) expect(members.visibilityOf(id)).toBe('visible');
          for (const id of listed) expect(members.visibilityOf(id)).toBe('invisible');
          const unlisted = members.size - visible.length - listed.length;
          expect(unlisted).toBeLessThanOrEqual(truncation ? truncation.totalInvisible - listed.length + truncation.totalVisible - visible.length : 0);
          if (!truncation) expect(lists(members)).toEqual(expected(visible, listed));
          expect([members.visibleCount, members.invisibleCount]).toEqual([lists(members)[0].length, lists(members)[1].length]);
        }
      }),
    );
  });
});

describe('Members.adoptOrder', () => {
  it('takes the order of lists that name exactly its members, so they take the fast path from then on', () => {
    const members = m(['3', '20'], ['7']); // e.g. restored from a store that keeps ids sorted
    expect(members.sameAsListed(['20', '3'], ['7'])).toBe(false);
    expect(members.diff(['20', '3'], ['7'])).toEqual([]);
    members.adoptOrder(['20', '3'], ['7']);
    expect(members.sameAsListed(['20', '3'], ['7'])).toBe(true);
    expect(lists(members)).toEqual([['20', '3'], ['7']]);
  });

  it.each([
    ['a member held while truncated is not listed', m(['a', 'b'], ['x']), ['b'], ['x']],
    ['a repeated id', m(['a', 'b']), ['b', 'b'], []],
    ['an id in the wrong list', m(['a'], ['b']), ['b'], ['a']],
    ['an id that is not a member', m(['a', 'b']), ['b', 'c'], []],
  ])('leaves the order alone when the lists are not exactly the members: %s', (_name, members, visible, invisible) => {
    const before = [...members.visible(), '|', ...members.invisible()];
    members.adoptOrder(visible, invisible);
    expect([...members.visible(), '|', ...members.invisible()]).toEqual(before);
  });
});

describe('Members.sameAsListed (the unchanged-room fast path)', () => {
  it.each([
    ['the lists that built it', m(['a', 'b'], ['c']), ['a', 'b'], ['c'], true],
    ['empty room', m([]), [], [], true],
    ['a visible join', m(['a']), ['a', 'b'], [], false],
    ['a member turned invisible', m(['a', 'b']), ['a'], ['b'], false],
    ['same ids in another order (the full diff decides)', m(['a', 'b']), ['b', 'a'], [], false],
    // Same length and every id present, yet b is gone: "size + has" would call this unchanged.
    ['a duplicate hides a leave', m(['a', 'b']), ['a', 'a'], [], false],
    ['an id served in both lists', m(['a'], ['b']), ['a'], ['a'], false],
  ])('%s', (_name, prev, visible, invisible, result) => {
    expect(prev.sameAsListed(visible, invisible)).toBe(result);
  });

  // Lists with duplicates and ids in both lists, as a careless server might send them.
  const list = fc.array(fc.constantFrom(...'abcdefgh'.split('')), { maxLength: 10 });

  it('property: when it says unchanged, the full diff agrees (no changes)', () => {
    fc.assert(
      fc.property(list, list, list, list, (pv, pi, v, i) => {
        const prev = Members.of(pv, pi);
        if (prev.sameAsListed(v, i)) expect(prev.diff(v, i)).toEqual([]);
      }),
    );
  });

  it('property: lists served again in the same order always take the fast path', () => {
    fc.assert(
      fc.property(ids, ids, (v, i) => {
        const served = [v, i.filter((id) => !v.includes(id))] as const;
        expect(Members.of(...served).sameAsListed(...served)).toBe(true);
      }),
    );
  });

  const ids = fc.uniqueArray(fc.constantFrom(...'abcdefghijklmnop'.split('')), { maxLength: 16 });
});
