import fc from 'fast-check';
import { DueQueue } from '../../src/scheduler/due-queue';

describe('DueQueue', () => {
  it('pops urgent keys first, then by due time, then in insertion order', () => {
    const q = new DueQueue<string>();
    q.set('late', 300);
    q.set('early', 100);
    q.set('tie-1', 200);
    q.set('tie-2', 200);
    q.set('new', 900, true);
    expect([q.pop(), q.pop(), q.pop(), q.pop(), q.pop(), q.pop()]).toEqual(['new', 'early', 'tie-1', 'tie-2', 'late', undefined]);
  });

  it('moves a key when it is set again and forgets a deleted key', () => {
    const q = new DueQueue<string>();
    q.set('a', 100);
    q.set('b', 200);
    q.set('a', 300);
    q.delete('b');
    expect(q.size).toBe(1);
    expect(q.peek()).toEqual({ key: 'a', dueMs: 300, urgent: false });
    expect(q.pop()).toBe('a');
    expect(q.pop()).toBeUndefined();
  });

  it('matches a sorted model under any sequence of sets, deletes and pops', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), key: fc.integer({ min: 0, max: 15 }), due: fc.integer({ min: 0, max: 50 }), urgent: fc.boolean() }),
      fc.record({ kind: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 15 }) }),
      fc.record({ kind: fc.constant('pop' as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const q = new DueQueue<number>();
        const model = new Map<number, { due: number; urgent: boolean; seq: number }>();
        let seq = 0;
        for (const o of ops) {
          if (o.kind === 'set') {
            q.set(o.key, o.due, o.urgent);
            model.set(o.key, { due: o.due, urgent: o.urgent, seq: seq++ });
          } else if (o.kind === 'delete') {
            q.delete(o.key);
            model.delete(o.key);
          } else {
            const first = [...model.entries()].sort(([, a], [, b]) => Number(b.urgent) - Number(a.urgent) || a.due - b.due || a.seq - b.seq)[0];
            expect(q.pop()).toBe(first?.[0]);
            if (first) model.delete(first[0]);
          }
          expect(q.size).toBe(model.size);
        }
      }),
    );
  });
});
