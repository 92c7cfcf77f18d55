import { ListRoomInfoSource } from '../../src/discovery/list-room-info-source';
import { RoomRegistry } from '../../src/discovery/room-registry';
import { VendorError } from '../../src/volc/errors';
import type { CallInfo, ListRoomInfoApi, ListRoomInfoQuery, RoomListPage } from '../../src/volc/list-room-info';
import { FakeClock } from '../fakes/fake-clock';
import { memoryLogger } from '../fakes/recorders';

const T0 = Date.UTC(2026, 10, 30, 12);
const MIN = 60_000;

/** Answers like the vendor: ranges in whole seconds, paging, HasMore above `maxListable` calls. */
class FakeList implements ListRoomInfoApi {
  calls: CallInfo[] = [];
  queries: ListRoomInfoQuery[] = [];
  failNext?: Error;
  constructor(private readonly maxListable: number) {}
  async listRoomInfo(q: ListRoomInfoQuery): Promise<RoomListPage> {
    this.queries.push(q);
    if (this.failNext) {
      const err = this.failNext;
      this.failNext = undefined;
      throw err;
    }
    const start = Math.floor(q.startMs / 1000) * 1000;
    const end = Math.ceil(q.endMs / 1000) * 1000;
    const all = this.calls.filter((c) => c.createdMs >= start && c.createdMs <= end).sort((a, b) => a.createdMs - b.createdMs);
    const listable = all.slice(0, this.maxListable);
    return { total: all.length, pageNum: q.pageNum, pageSize: q.pageSize, hasMore: all.length > this.maxListable, calls: listable.slice((q.pageNum - 1) * q.pageSize, q.pageNum * q.pageSize) };
  }
}

function setup(maxListable = 10_000) {
  const clock = new FakeClock(T0);
  const api = new FakeList(maxListable);
  const registry = new RoomRegistry(60_000);
  const observed = { requests: 0, failures: 0, splits: 0, passes: 0 };
  const source = new ListRoomInfoSource({
    appId: 'app',
    account: 'default',
    api: () => api,
    limiter: { acquire: async () => 0, permit: async () => ({ waitedMs: 0, start: async () => undefined, holds: () => true }) },
    registry,
    observer: {
      request: (_s, ok) => (ok ? observed.requests++ : observed.failures++),
      passSucceeded: () => observed.passes++,
      rangeSplit: () => observed.splits++,
      targetRemoved: () => undefined,
    },
    clock,
    logger: memoryLogger().logger,
    settings: () => ({ lookbackHours: 24, overlapSeconds: 60, maxRetries: 0, retryBaseDelayMs: 10 }),
  });
  const live = (): string[] => registry.active().map((r) => r.roomId).sort();
  return { clock, api, registry, observed, source, live };
}

const callIn = (id: string, roomId: string, createdMs: number, finished = false): CallInfo => ({ callId: id, roomId, createdMs, finished, activeUsers: 1 });

describe('ListRoomInfoSource', () => {
  it('first pass covers the look-back in slices and pages through; later passes ask only since the last one', async () => {
    const t = setup();
    for (let i = 0; i < 250; i++) t.api.calls.push(callIn(`c${i}`, `r${i}`, T0 - 20 * 60 * MIN + i * MIN, i % 5 === 0));
    expect(await t.source.pass()).toBe(true);
    expect(t.live()).toHaveLength(200);
    // 2 slices (24 h is just over one slice): the first holds all 250 calls (3 pages), the last 2 s none.
    expect(t.api.queries.map((q) => q.pageNum)).toEqual([1, 2, 3, 1]);
    t.api.queries.length = 0;
    await t.clock.advance(15_000);
    t.api.calls.push(callIn('new', 'new-room', T0 + 5000));
    expect(await t.source.pass()).toBe(true);
    expect(t.api.queries).toHaveLength(1);
    expect(t.api.queries[0]).toMatchObject({ startMs: T0 - 60_000, endMs: T0 + 15_000 });
    expect(t.live()).toContain('new-room');
  });

  it('splits a range with more calls than paging returns until every call is listed', async () => {
    const t = setup(7);
    for (let i = 0; i < 100; i++) t.api.calls.push(callIn(`c${i}`, `r${i}`, T0 - 3 * 60 * MIN + i * 61_000));
    expect(await t.source.pass()).toBe(true);
    expect(t.live()).toHaveLength(100);
    expect(t.observed.splits).toBeGreaterThan(10);
  });

  it('does not bring back a room the vendor said was gone when the overlap lists its old call again; a new call does', async () => {
    const t = setup();
    t.api.calls.push(callIn('c1', 'room', T0 - 30_000));
    await t.source.pass();
    expect(t.live()).toEqual(['room']);
    t.registry.polled('app', 'room', false, t.clock.now());
    await t.clock.advance(15_000);
    await t.source.pass();
    expect(t.live()).toEqual([]);
    t.api.calls.push(callIn('c2', 'room', T0 + 10_000));
    await t.clock.advance(15_000);
    await t.source.pass();
    expect(t.live()).toEqual(['room']);
  });

  it('retires a room when every call it knew there has finished', async () => {
    const t = setup();
    t.api.calls.push(callIn('a', 'room', T0 - 40_000), callIn('b', 'room', T0 - 35_000));
    await t.source.pass();
    t.api.calls[0] = callIn('a', 'room', T0 - 40_000, true);
    await t.clock.advance(15_000);
    await t.source.pass();
    expect(t.live()).toEqual(['room']);
    t.api.calls[1] = callIn('b', 'room', T0 - 35_000, true);
    await t.clock.advance(15_000);
    await t.source.pass();
    expect(t.live()).toEqual([]);
  });

  it('a failed pass keeps what was found and the next pass covers its range again', async () => {
    const t = setup();
    t.api.calls.push(callIn('a', 'first', T0 - 10 * MIN));
    await t.source.pass();
    await t.clock.advance(15_000);
    t.api.failNext = new VendorError('InternalError', 'boom', 500);
    t.api.calls.push(callIn('b', 'second', T0 + 1000));
    expect(await t.source.pass()).toBe(false);
    expect(t.live()).toEqual(['first']);
    expect(t.observed.failures).toBe(1);
    await t.clock.advance(15_000);
    t.api.queries.length = 0;
    expect(await t.source.pass()).toBe(true);
    expect(t.api.queries[0]).toMatchObject({ startMs: T0 - 60_000 });
    expect(t.live()).toEqual(['first', 'second']);
  });
});
