import { SweepTracker } from '../../src/scheduler/sweep-tracker';

describe('SweepTracker', () => {
  it('ends a sweep when every room active at its start has been polled, and starts the next', () => {
    const done: number[] = [];
    const t = new SweepTracker<string>(0);
    t.roomsNow(new Set(['a', 'b']), 0, (s) => done.push(s));
    t.polled('a', 1000, 60);
    t.check(2000, (s) => done.push(s));
    expect(done).toEqual([]);
    // A room that arrives mid-sweep counts from the next one.
    t.roomsNow(new Set(['a', 'b', 'c']), 3000, (s) => done.push(s));
    t.polled('b', 4000, 60);
    t.check(5000, (s) => done.push(s));
    expect(done).toEqual([5]);
    t.polled('a', 6000, 60);
    t.polled('b', 7000, 60);
    t.check(8000, (s) => done.push(s));
    expect(done).toEqual([5]); // c holds the second sweep
    t.roomsNow(new Set(['a', 'b']), 9000, (s) => done.push(s)); // c left: it no longer holds it up
    expect(done).toEqual([5, 4]);
  });

  it('says a poll is late when it comes more than the bound after the room\'s previous poll', () => {
    const t = new SweepTracker<string>(0);
    t.roomsNow(new Set(['a']), 0, () => undefined);
    expect(t.polled('a', 0, 10)).toBe(false);
    expect(t.polled('a', 10_000, 10)).toBe(false);
    expect(t.polled('a', 20_001, 10)).toBe(true);
  });

  it('reports one empty sweep while there are no rooms (readiness does not wait for discovery to find one)', () => {
    const done: number[] = [];
    const t = new SweepTracker<string>(0);
    t.roomsNow(new Set(), 0, (s) => done.push(s));
    t.roomsNow(new Set(), 1000, (s) => done.push(s));
    expect(done).toEqual([0]);
    t.roomsNow(new Set(['a']), 2000, (s) => done.push(s));
    t.polled('a', 3000, 60);
    t.check(3500, (s) => done.push(s));
    expect(done).toEqual([0, 1.5]);
  });
});
