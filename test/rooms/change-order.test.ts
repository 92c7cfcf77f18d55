import fc from 'fast-check';
import { decideChange, MemberRecord, Observation } from '../../src/rooms/change-order';

const GRACE = 5000;
const rec = (present: boolean, visibility: 'visible' | 'invisible', changedAtMs: number, source: 'poll' | 'callback'): MemberRecord => ({ present, visibility, changedAtMs, source });
const cb = (present: boolean, atMs: number, visibility?: 'visible' | 'invisible'): Observation => ({ source: 'callback', present, atMs, visibility });
const poll = (present: boolean, atMs: number, visibility?: 'visible' | 'invisible'): Observation => ({ source: 'poll', present, atMs, visibility });

describe('decideChange', () => {
  it.each<[string, MemberRecord | undefined, Observation, string, string?]>([
    ['a join callback of a new member', undefined, cb(true, 100, 'visible'), 'join'],
    ['an invisible join', undefined, cb(true, 100, 'invisible'), 'join'],
    ['a leave callback of a member', rec(true, 'visible', 100, 'poll'), cb(false, 200), 'leave'],
    ['a role change', rec(true, 'visible', 100, 'callback'), cb(true, 200, 'invisible'), 'visibility_change'],
    ['a repeated join', rec(true, 'visible', 100, 'callback'), cb(true, 100, 'visible'), 'same'],
    ['a leave of someone never seen', undefined, cb(false, 100), 'same'],
    ['a join older than the recorded leave', rec(false, 'visible', 200, 'callback'), cb(true, 150, 'visible'), 'stale'],
    ['a leave older than the recorded join', rec(true, 'visible', 200, 'callback'), cb(false, 150), 'stale'],
    ['a poll sent before the leave it would undo', rec(false, 'visible', 1000, 'callback'), poll(true, 900, 'visible'), 'held'],
    ['a poll inside the grace of a callback join', rec(true, 'visible', 1000, 'callback'), poll(false, 1000 + GRACE), 'held'],
    ['a poll past the grace finds the callback missed a leave', rec(true, 'visible', 1000, 'callback'), poll(false, 1001 + GRACE), 'leave'],
    ['a poll after a poll', rec(true, 'visible', 1000, 'poll'), poll(false, 1001), 'leave'],
    ['a poll finds a join', undefined, poll(true, 50, 'visible'), 'join'],
    ['a poll confirms', rec(true, 'invisible', 10, 'poll'), poll(true, 5000, 'invisible'), 'same'],
  ])('%s', (_name, record, obs, expected) => {
    const out = decideChange(record, obs, GRACE);
    expect(out.kind === 'event' ? out.event.type : out.kind).toBe(expected);
  });

  it('a leave reports the visibility the member had', () => {
    const out = decideChange(rec(true, 'invisible', 1, 'poll'), cb(false, 2), GRACE);
    expect(out).toEqual({ kind: 'event', record: rec(false, 'invisible', 2, 'callback'), event: { type: 'leave', visibility: 'invisible' } });
  });

  it('a newer confirming callback moves the time on, so a leave between the two stays out', () => {
    const r = rec(true, 'visible', 100, 'callback');
    const out = decideChange(r, cb(true, 300, 'visible'), GRACE);
    expect(out).toEqual({ kind: 'same', record: rec(true, 'visible', 300, 'callback') });
    expect(decideChange(out.kind === 'same' ? out.record : r, cb(false, 200), GRACE)).toEqual({ kind: 'stale' });
  });

  it('a confirming poll leaves the record as it was', () => {
    const r = rec(true, 'visible', 100, 'callback');
    expect(decideChange(r, poll(true, 9000, 'visible'), GRACE)).toEqual({ kind: 'same', record: r });
  });

  // Whatever order and however often callbacks arrive, the events replay to a consistent log: never a join
  // of a member, never a leave of a non-member, and the last state is that of the newest callback.
  it('any delivery of a callback history gives a consistent log ending at the newest state', () => {
    const step = fc.record({ present: fc.boolean(), invisible: fc.boolean() });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 12 }), fc.array(fc.nat(), { maxLength: 40 }), (history, picks) => {
        const obs = history.map((s, i) => cb(s.present, (i + 1) * 10, s.invisible ? 'invisible' : 'visible'));
        // A delivery: every callback at least once (the vendor's tries), extra copies and any order.
        const delivery = [...obs, ...picks.map((p) => obs[p % obs.length]!)];
        for (let i = delivery.length - 1; i > 0; i--) {
          const j = (picks[i % Math.max(1, picks.length)] ?? i) % (i + 1);
          [delivery[i], delivery[j]] = [delivery[j]!, delivery[i]!];
        }
        let record: MemberRecord | undefined;
        let member = false;
        for (const o of delivery) {
          const out = decideChange(record, o, GRACE);
          if (out.kind === 'event') {
            if (out.event.type === 'join') expect(member).toBe(false);
            if (out.event.type !== 'join') expect(member).toBe(true);
            member = out.event.type !== 'leave';
          }
          if (out.kind === 'event' || out.kind === 'same') record = out.record;
        }
        const newest = obs[obs.length - 1]!;
        expect(member).toBe(newest.present);
        if (newest.present) expect(record?.visibility).toBe(newest.visibility);
      }),
    );
  });
});
