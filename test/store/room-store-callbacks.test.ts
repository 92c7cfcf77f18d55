import fc from 'fast-check';
import type { MemberCallback } from '../../src/callbacks/member-callback';
import type { RoomEvent } from '../../src/rooms/room-event';
import { MemoryStore } from '../../src/store/memory-store';
import { RoomStore } from '../../src/store/room-store';
import type { RoomSnapshot } from '../../src/volc/room-online-users';

const ref = { appId: 'app', roomId: 'r1' };
const GRACE = 5000;
const snap = (visible: string[], invisible: string[] = []): RoomSnapshot => ({ exists: true, totalUsers: visible.length + invisible.length, totalInvisibleUsers: invisible.length, visible, invisible });
const join = (userId: string, t: number, visibility: 'visible' | 'invisible' = 'visible'): MemberCallback => ({ kind: 'member', roomId: 'r1', userId, present: true, visibility, timestampMs: t });
const leave = (userId: string, t: number): MemberCallback => ({ kind: 'member', roomId: 'r1', userId, present: false, timestampMs: t });

let seq = 0;
const items = (...cbs: MemberCallback[]): { eventId: string; callback: MemberCallback }[] => cbs.map((callback) => ({ eventId: `e${++seq}`, callback }));

function setup(): { s: RoomStore; state: MemoryStore } {
  const state = new MemoryStore({ maxEvents: 10_000, maxAgeSeconds: 3600 });
  const s = new RoomStore(state, () => 1, { graceMs: GRACE });
  s.setRooms([ref]);
  return { s, state };
}

const brief = (events: readonly RoomEvent[]): string[] => events.map((e) => `${e.type} ${e.userId} ${e.source}`);

describe('RoomStore with callbacks', () => {
  it('a callback is an event at once, with its own time and source callback; the gauges follow it', async () => {
    const { s } = setup();
    await s.applySuccess(ref, snap(['a']), 1000);
    const { events, results } = await s.applyCallbacks(ref, items(join('b', 2000, 'invisible'), leave('a', 2100)));
    expect(results).toEqual(['accepted', 'accepted']);
    expect(events.map((e) => [e.type, e.userId, e.visibility, e.source, e.time])).toEqual([
      ['join', 'b', 'invisible', 'callback', new Date(2000).toISOString()],
      ['leave', 'a', 'visible', 'callback', new Date(2100).toISOString()],
    ]);
    expect(s.get('app', 'r1')).toMatchObject({ totalUsers: 1, totalInvisibleUsers: 1, joins: 1, leaves: 1, lastSuccessMs: 1000 });
  });

  it('a repeat or a stale callback makes no event', async () => {
    const { s } = setup();
    await s.applySuccess(ref, snap([]), 1000);
    await s.applyCallbacks(ref, items(join('a', 2000), leave('a', 3000)));
    const { events, results } = await s.applyCallbacks(ref, items(join('a', 2000), leave('a', 3000)));
    expect(events).toEqual([]);
    expect(results).toEqual(['stale', 'accepted']);
  });

  it('a poll in flight does not undo a leave that came while it was out, nor a callback join within the grace', async () => {
    const { s } = setup();
    await s.applySuccess(ref, snap(['a']), 1000);
    await s.applyCallbacks(ref, items(leave('a', 5000), join('b', 5000)));
    // Sent at 4000 (before the leave), it still lists a and not b.
    const r = await s.applySuccess(ref, snap(['a']), 6000, 4000);
    expect(r.events).toEqual([]);
    // Sent at 9000: b's join is 4 s old, inside the grace; a's leave is newer than nothing the poll says.
    expect((await s.applySuccess(ref, snap([]), 9500, 9000)).events).toEqual([]);
    expect([...s.get('app', 'r1')!.membership.visible()]).toEqual(['b']);
  });

  it('past the grace a poll corrects what the callbacks missed, and counts it', async () => {
    const { s } = setup();
    await s.applySuccess(ref, snap(['a']), 1000);
    await s.applyCallbacks(ref, items(join('b', 2000)));
    const r = await s.applySuccess(ref, snap(['a', 'c']), 8000, 7001);
    expect(brief(r.events)).toEqual(['join c poll', 'leave b poll']);
    expect(r.corrections).toBe(2);
    // A late copy of b's join (older than the poll that removed it) is stale now.
    expect((await s.applyCallbacks(ref, items(join('b', 2000)))).results).toEqual(['stale']);
  });

  it('RoomDestroy is a leave of every member, and the room reads as gone', async () => {
    const { s } = setup();
    await s.applySuccess(ref, snap(['a', 'b'], ['h']), 1000);
    const { events } = await s.applyCallbacks(ref, items(join('c', 1500), { kind: 'destroy', roomId: 'r1', timestampMs: 2000 }));
    expect(brief(events).sort()).toEqual(['join c callback', 'leave a callback', 'leave b callback', 'leave c callback', 'leave h callback']);
    expect(s.get('app', 'r1')).toMatchObject({ exists: false, totalUsers: 0, totalInvisibleUsers: 0 });
  });

  it('callbacks before the first poll: their events stand, and the baseline keeps what it may not override', async () => {
    const { s } = setup();
    expect(brief((await s.applyCallbacks(ref, items(join('x', 10_000)))).events)).toEqual(['join x callback']);
    // The first poll, sent just before the join, lists y but not x: x stays, y is part of the baseline.
    expect((await s.applySuccess(ref, snap(['y']), 10_500, 9_900)).events).toEqual([]);
    expect([...s.get('app', 'r1')!.membership.visible()].sort()).toEqual(['x', 'y']);
    // A later poll past the grace that still does not list x reports its leave.
    expect(brief((await s.applySuccess(ref, snap(['y']), 20_000, 16_000)).events)).toEqual(['leave x poll']);
  });

  // Whatever order callbacks arrive in, however often, and with polls (of the true membership at their
  // send time) between them, each room's log stays consistent, and after the callbacks stop and a poll
  // past the grace, the membership is the truth.
  it('property: a consistent log that ends at the truth', async () => {
    const op = fc.record({ user: fc.integer({ min: 0, max: 4 }), present: fc.boolean(), invisible: fc.boolean() });
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 60 }), fc.array(fc.boolean(), { maxLength: 60 }), async (history, delays, polls) => {
        const { s } = setup();
        // The truth over time: change i happens at 1000 + 100 i.
        const truth: Map<string, 'visible' | 'invisible'>[] = [new Map()];
        const cbs: MemberCallback[] = history.map((h, i) => {
          const next = new Map(truth[truth.length - 1]);
          const id = `u${h.user}`;
          if (h.present) next.set(id, h.invisible ? 'invisible' : 'visible');
          else next.delete(id);
          truth.push(next);
          const t = 1000 + 100 * i;
          return h.present ? join(id, t, h.invisible ? 'invisible' : 'visible') : leave(id, t);
        });
        const at = (t: number): Map<string, 'visible' | 'invisible'> => truth[Math.max(0, Math.min(truth.length - 1, Math.floor((t - 1000) / 100) + 1))]!;
        await s.applySuccess(ref, snap([]), 999, 999);
        const log: RoomEvent[] = [];
        // Deliver: each callback once or twice, each held back by 0-3 slots.
        const queue = cbs.flatMap((cb, i) => [{ cb, slot: i + (delays[i] ?? 0) }, ...((delays[i + 30] ?? 0) === 3 ? [{ cb, slot: i + 2 }] : [])]).sort((a, b) => a.slot - b.slot);
        for (const [i, q] of queue.entries()) {
          log.push(...(await s.applyCallbacks(ref, items(q.cb))).events);
          if (polls[i]) {
            const sent = 1000 + 100 * q.slot;
            const m = at(sent);
            log.push(...(await s.applySuccess(ref, snap([...m].filter(([, v]) => v === 'visible').map(([k]) => k), [...m].filter(([, v]) => v === 'invisible').map(([k]) => k)), sent + 50, sent)).events);
          }
        }
        const end = truth[truth.length - 1]!;
        const lateSent = 1000 + 100 * history.length + GRACE + 1;
        log.push(...(await s.applySuccess(ref, snap([...end].filter(([, v]) => v === 'visible').map(([k]) => k), [...end].filter(([, v]) => v === 'invisible').map(([k]) => k)), lateSent + 10, lateSent)).events);
        const members = new Map<string, string>();
        for (const e of log) {
          if (e.type === 'join') expect(members.has(e.userId)).toBe(false);
          else expect(members.has(e.userId)).toBe(true);
          if (e.type === 'leave') members.delete(e.userId);
          else members.set(e.userId, e.visibility);
        }
        expect(Object.fromEntries([...members].sort())).toEqual(Object.fromEntries([...end].sort()));
      }),
      { numRuns: 300 },
    );
  });
});
