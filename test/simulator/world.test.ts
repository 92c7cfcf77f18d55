import fc from 'fast-check';
import { Visibility, World } from '../../src/simulator/world';

const BUSY = { joinsPerMinute: 120, leavesPerMinute: 100, visibilityChangesPerMinute: 30, invisibleJoinRatio: 0.3 };

function fakeClock(start = 1_700_000_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

function expectConsistent(world: World, appId: string, roomId: string): void {
  const s = world.snapshot(appId, roomId);
  const visible = new Set(s.visible);
  const invisible = new Set(s.invisible);
  expect(visible.size).toBe(s.visible.length); // no duplicates
  expect(invisible.size).toBe(s.invisible.length);
  expect(s.visible.filter((id) => invisible.has(id))).toEqual([]);
  expect(s.visibleCount).toBe(s.visible.length);
  expect(s.invisibleCount).toBe(s.invisible.length);
  if (!s.exists) expect(s.visibleCount + s.invisibleCount).toBe(0);
}

describe('World', () => {
  it('starts rooms with generated, unique u_<room>_<n> ids', () => {
    const clock = fakeClock();
    const world = new World({ now: clock.now, rooms: [{ appId: 'a', roomId: 'lobby', visible: 3, invisible: 2 }] });
    const s = world.snapshot('a', 'lobby');
    expect(s).toMatchObject({ exists: true, visibleCount: 3, invisibleCount: 2 });
    expect([...s.visible, ...s.invisible].sort()).toEqual(
      ['u_lobby_1', 'u_lobby_2', 'u_lobby_3', 'u_lobby_4', 'u_lobby_5'].sort(),
    );
  });

  it('reads unknown and non-existing rooms as not existing', () => {
    const world = new World({ now: () => 0, rooms: [{ appId: 'a', roomId: 'ghost', exists: false, visible: 5 }] });
    expect(world.snapshot('a', 'ghost')).toMatchObject({ exists: false, visible: [], invisible: [] });
    expect(world.snapshot('a', 'nowhere')).toMatchObject({ exists: false, visibleCount: 0 });
  });

  it('replays the same churn from the same seed, whatever the access pattern', () => {
    const rooms = [{ appId: 'a', roomId: 'r', visible: 10, invisible: 2, churn: BUSY }];
    const c1 = fakeClock();
    const c2 = fakeClock();
    const often = new World({ now: c1.now, seed: 42, rooms });
    const once = new World({ now: c2.now, seed: 42, rooms });
    for (let i = 0; i < 600; i++) {
      c1.advance(1000);
      often.snapshot('a', 'r');
    }
    c2.advance(600_000);
    expect(once.snapshot('a', 'r')).toEqual(often.snapshot('a', 'r'));

    const c3 = fakeClock();
    const other = new World({ now: c3.now, seed: 43, rooms });
    c3.advance(600_000);
    expect(other.snapshot('a', 'r')).not.toEqual(once.snapshot('a', 'r'));
  });

  it('applies churn at about the configured rates', () => {
    const clock = fakeClock();
    const rooms = [{ appId: 'a', roomId: 'r', churn: { joinsPerMinute: 60 } }];
    const world = new World({ now: clock.now, seed: 7, rooms });
    clock.advance(10 * 60_000);
    const s = world.snapshot('a', 'r');
    // Poisson(600): within 5 standard deviations; the seed makes this deterministic anyway.
    expect(s.visibleCount + s.invisibleCount).toBeGreaterThan(600 - 125);
    expect(s.visibleCount + s.invisibleCount).toBeLessThan(600 + 125);
    // Roughly the default 10% of joins arrive invisible.
    expect(s.invisibleCount).toBeGreaterThan(20);
    expect(s.invisibleCount).toBeLessThan(120);
  });

  it('never reuses an id after its member left', () => {
    const clock = fakeClock();
    const world = new World({
      now: clock.now,
      seed: 3,
      rooms: [{ appId: 'a', roomId: 'r', visible: 5, churn: { joinsPerMinute: 300, leavesPerMinute: 300 } }],
    });
    const seen = new Set<string>();
    const gone = new Set<string>();
    let previous = new Set<string>();
    for (let i = 0; i < 200; i++) {
      clock.advance(500);
      const s = world.snapshot('a', 'r');
      const now = new Set([...s.visible, ...s.invisible]);
      for (const id of previous) if (!now.has(id)) gone.add(id);
      for (const id of now) {
        expect(gone.has(id)).toBe(false);
        expect(id).toMatch(/^u_r_\d+$/);
        seen.add(id);
      }
      previous = now;
    }
    expect(gone.size).toBeGreaterThan(100);
  });

  it('stays consistent under any mix of churn, closes and control operations', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 120_000 }) }),
      fc.record({ kind: fc.constant('add' as const), n: fc.integer({ min: 0, max: 30 }), visible: fc.boolean() }),
      fc.record({ kind: fc.constant('remove' as const), n: fc.integer({ min: 0, max: 30 }) }),
      fc.record({ kind: fc.constant('flip' as const), n: fc.integer({ min: 0, max: 30 }), visible: fc.boolean() }),
      fc.record({ kind: fc.constantFrom('close' as const, 'open' as const, 'pause' as const, 'resume' as const) }),
    );
    fc.assert(
      fc.property(fc.integer(), fc.array(op, { maxLength: 40 }), (seed, ops) => {
        const clock = fakeClock();
        const world = new World({
          now: clock.now,
          seed,
          rooms: [
            {
              appId: 'a',
              roomId: 'r',
              visible: 4,
              invisible: 4,
              churn: { ...BUSY, closeProbabilityPerMinute: 0.3, reopenProbabilityPerMinute: 0.5 },
            },
          ],
        });
        const vis = (visible: boolean): Visibility => (visible ? 'visible' : 'invisible');
        for (const o of ops) {
          if (o.kind === 'advance') clock.advance(o.ms);
          else if (o.kind === 'add') {
            if (world.snapshot('a', 'r').exists) world.addMember('a', 'r', `u_r_${o.n}`, vis(o.visible));
          } else if (o.kind === 'remove') world.removeMember('a', 'r', `u_r_${o.n}`);
          else if (o.kind === 'flip') world.setVisibility('a', 'r', `u_r_${o.n}`, vis(o.visible));
          else if (o.kind === 'close') world.closeRoom('a', 'r');
          else if (o.kind === 'open') world.openRoom('a', 'r');
          else world.setChurn({ paused: o.kind === 'pause' }, 'a', 'r');
          expectConsistent(world, 'a', 'r');
        }
      }),
      { numRuns: 150 },
    );
  });

  it('supports the control operations tests use', () => {
    const clock = fakeClock();
    const world = new World({ now: clock.now, rooms: [{ appId: 'a', roomId: 'r' }] });
    world.addMember('a', 'r', 'alice', 'visible');
    world.addMember('a', 'r', 'bob', 'invisible');
    expect(world.setVisibility('a', 'r', 'bob', 'visible')).toBe(true);
    expect(world.setVisibility('a', 'r', 'carol', 'visible')).toBe(false);
    expect(world.snapshot('a', 'r')).toMatchObject({ visible: ['alice', 'bob'], invisible: [] });
    expect(world.removeMember('a', 'r', 'alice')).toBe(true);
    expect(world.removeMember('a', 'r', 'alice')).toBe(false);

    world.closeRoom('a', 'r');
    expect(world.snapshot('a', 'r')).toMatchObject({ exists: false, visible: [], invisible: [] });
    expect(() => world.addMember('a', 'r', 'dave', 'visible')).toThrow(/closed/);
    world.openRoom('a', 'r');
    expect(world.snapshot('a', 'r')).toMatchObject({ exists: true, visible: [], invisible: [] });

    world.addMember('a', 'new-room', 'erin', 'visible'); // unknown rooms are created on first add
    expect(world.snapshot('a', 'new-room').visible).toEqual(['erin']);
  });

  it('holds still while churn is paused and resumes from the moment it is unpaused', () => {
    const clock = fakeClock();
    const world = new World({ now: clock.now, seed: 5, rooms: [{ appId: 'a', roomId: 'r', visible: 10, churn: BUSY }] });
    world.setChurn({ paused: true });
    const before = world.snapshot('a', 'r');
    clock.advance(3_600_000);
    expect(world.snapshot('a', 'r')).toEqual(before);
    world.setChurn({ paused: false });
    clock.advance(60_000);
    expect(world.snapshot('a', 'r')).not.toEqual(before);
  });

  it('rejects bad churn settings naming the field', () => {
    const world = new World({ now: () => 0, rooms: [{ appId: 'a', roomId: 'r' }] });
    expect(() => world.setChurn({ joinsPerMinute: -1 })).toThrow('churn.joinsPerMinute');
    expect(() => world.setChurn({ closeProbabilityPerMinute: 1 }, 'a', 'r')).toThrow('churn.closeProbabilityPerMinute');
    expect(() => world.setChurn({ bogus: 1 } as never)).toThrow('churn.bogus: unknown key');
  });

  it('caps the invisible list it returns but reports the true count', () => {
    const world = new World({ now: () => 0, rooms: [{ appId: 'a', roomId: 'r', visible: 1, invisible: 25 }] });
    const s = world.snapshot('a', 'r', 10);
    expect(s.invisible).toHaveLength(10);
    expect(s.invisibleCount).toBe(25);
  });

  it('scales: 10,000 rooms, an hour of churn caught up lazily, consistent for small rooms and a 10,000-member one', () => {
    const clock = fakeClock();
    const rooms = Array.from({ length: 10_000 }, (_, i) => ({ appId: 'a', roomId: `r${i}`, visible: 5, churn: BUSY }));
    rooms.push({ appId: 'a', roomId: 'big', visible: 10_000, churn: BUSY });
    const world = new World({ now: clock.now, seed: 9, rooms });
    clock.advance(3_600_000); // an hour passes; nothing runs until a room is looked at
    // Speed is a benchmark's business, not a timed test's: here only that an hour of churn, caught up lazily
    // when a room is looked at, stays consistent for small rooms and a 10,000-member one.
    for (let i = 0; i < 100; i++) expectConsistent(world, 'a', `r${i}`);
    expectConsistent(world, 'a', 'big');
    expect(world.roomCount).toBe(10_001);
  });
});
