import { PollQueue } from '../../src/scheduler/poll-queue';

describe('PollQueue', () => {
  it('gives urgent rooms first, then due rooms in due order', () => {
    const q = new PollQueue<string>();
    q.set('late', 500);
    q.set('early', 100);
    q.set('new', 900, true);
    expect([q.next(1000, true).key, q.next(1000, true).key, q.next(1000, true).key]).toEqual(['new', 'early', 'late']);
    expect(q.next(1000, true)).toEqual({ atMs: Infinity });
  });

  it('sends a room early when none is due (work-conserving), the earliest due first', () => {
    const q = new PollQueue<string>();
    q.set('a', 60_000, false, 15_000);
    q.set('b', 30_000, false, 15_000);
    expect(q.next(20_000, false)).toEqual({ key: 'b', atMs: 20_000 });
  });

  it('never sends a room within its period, and says when the first held room may go', () => {
    const q = new PollQueue<string>();
    q.set('a', 15_000, false, 15_000);
    q.set('b', 16_000, false, 16_000);
    expect(q.next(10_000, true)).toEqual({ atMs: 15_000 });
    expect(q.size).toBe(2);
    expect(q.next(15_000, true).key).toBe('a');
  });

  it('finds the room that may go early behind any number of rooms held by their period', () => {
    // 50 busy rooms at the period, all due before the quiet room: none of them may go yet, the quiet one
    // may (its last poll was long ago). The previous pick looked at the first 8 in due order only and
    // napped with budget left.
    const q = new PollQueue<string>();
    for (let i = 0; i < 50; i++) q.set(`busy${i}`, 15_000 + i, false, 15_000 + i);
    q.set('quiet', 80_000, false, 5000);
    expect(q.next(10_000, true)).toEqual({ key: 'quiet', atMs: 10_000 });
    expect(q.next(10_000, false)).toEqual({ atMs: 15_000 });
  });

  it('lets an urgent room go at once, within its period', () => {
    const q = new PollQueue<string>();
    q.set('a', 15_000, false, 15_000);
    q.set('a', 1000, true);
    expect(q.next(1000, true).key).toBe('a');
  });

  it('moves, deletes and reports rooms wherever they are held', () => {
    const q = new PollQueue<string>();
    q.set('a', 15_000, false, 15_000);
    q.set('b', 5000);
    expect(q.has('a')).toBe(true);
    expect(q.dueOf('a')).toBe(15_000);
    expect([...q.keys()].sort()).toEqual(['a', 'b']);
    q.set('a', 20_000, false, 20_000);
    expect(q.size).toBe(2);
    q.delete('a');
    expect(q.has('a')).toBe(false);
    expect(q.next(100_000, true).key).toBe('b');
    expect(q.next(100_000, true)).toEqual({ atMs: Infinity });
  });
});
