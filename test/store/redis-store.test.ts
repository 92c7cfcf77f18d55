import type Redis from 'ioredis';
import { StaleLeaderError } from '../../src/cluster/fencing';
import { leaseKey } from '../../src/cluster/redis-lease';
import { RedisStore } from '../../src/store/redis-store';
import type { PollCommit, StateStore } from '../../src/store/store';
import { BASELINE_MISSING_CODE, StateWriteError } from '../../src/store/store';
import { RedisProcess } from '../support/redis-process';
import { storeContract } from './store-contract';

let server: RedisProcess;
let redis: Redis;
let n = 0;
beforeAll(async () => {
  server = await RedisProcess.start();
  redis = await server.client();
}, 20_000);
afterAll(async () => {
  await server.stop();
});

// Each store gets its own key prefix: a fresh, empty store on the same server.
const prefixes = new WeakMap<StateStore, { prefix: string; retention: { maxEvents: number; maxAgeSeconds: number }; now: () => number }>();
storeContract('redis', {
  make: async ({ now, ...retention }) => {
    const prefix = `contract${++n}:`;
    const store = new RedisStore({ redis, keyPrefix: prefix, leaseKey: leaseKey(prefix), requireBaseline: false, retention, now });
    prefixes.set(store, { prefix, retention, now });
    return store;
  },
  reopen: async (store) => {
    const { prefix, retention, now } = prefixes.get(store)!;
    await store.close();
    const again = new RedisStore({ redis, keyPrefix: prefix, leaseKey: leaseKey(prefix), requireBaseline: false, retention, now });
    prefixes.set(again, { prefix, retention, now });
    return again;
  },
  lead: async (store, token) => {
    const key = leaseKey(prefixes.get(store)!.prefix);
    if (token === undefined) await redis.del(key);
    else await redis.set(key, `${token}:contract`);
  },
});

describe('RedisStore fencing', () => {
  const retention = { maxEvents: 1000, maxAgeSeconds: 3600 };
  const commit = (events: string[], baseline?: string[]): PollCommit => ({
    appId: 'app',
    roomId: 'r1',
    exists: true,
    totalUsers: 1,
    totalInvisibleUsers: 0,
    lastSuccessMs: 1_764_500_000_123,
    ...(baseline ? { baseline: { visible: baseline, invisible: [] } } : {}),
    changes: events.map((userId) => ({ type: 'join' as const, userId, visibility: 'visible' as const })),
    events: events.map((userId) => ({ time: '2026-01-01T00:00:00.000Z', type: 'join' as const, appId: 'app', roomId: 'r1', userId, visibility: 'visible' as const })),
  });
  const fenced = async (): Promise<{ store: RedisStore; prefix: string }> => {
    const prefix = `fence${++n}:`;
    return { store: new RedisStore({ redis, keyPrefix: prefix, leaseKey: leaseKey(prefix), retention }), prefix };
  };

  test('a commit with the token the lease holds is written; large millisecond times survive', async () => {
    const { store, prefix } = await fenced();
    await redis.set(leaseKey(prefix), '7:replica-a');
    await store.commitPoll(commit([], ['a']), 7);
    const events = await store.commitPoll(commit(['b']), 7);
    expect(events.map((e) => [e.id, e.userId])).toEqual([[1, 'b']]);
    const room = await store.loadRoom('app', 'r1');
    expect(new Set(room!.visible)).toEqual(new Set(['a', 'b']));
    expect(room!.lastSuccessMs).toBe(1_764_500_000_123);
  });

  test.each([
    ['a newer leader holds the lease', '8:replica-b', 7],
    ['the lease expired (no key)', undefined, 7],
    ['no token was given (not leader)', '7:replica-a', undefined],
  ])('a stale commit (%s) rejects with StaleLeaderError and commits nothing', async (_name, lease, token) => {
    const { store, prefix } = await fenced();
    await redis.set(leaseKey(prefix), '7:replica-a');
    await store.commitPoll(commit(['a'], []), 7);
    const seen: number[] = [];
    store.onCommitted((id) => seen.push(id));
    if (lease === undefined) await redis.del(leaseKey(prefix));
    else await redis.set(leaseKey(prefix), lease);
    const stale = store.commitPoll(commit(['x', 'y'], ['z']), token);
    await expect(stale).rejects.toBeInstanceOf(StaleLeaderError);
    await expect(stale).rejects.toBeInstanceOf(StateWriteError);
    expect(await store.lastEventId()).toBe(1);
    expect((await store.readEvents(0, 10)).map((e) => e.userId)).toEqual(['a']);
    const room = await store.loadRoom('app', 'r1');
    expect(room!.visible).toEqual(['a']);
    expect(seen).toEqual([]);
  });

  test('a diff commit to a room Redis holds nothing for (data lost) is refused and writes nothing', async () => {
    const { store, prefix } = await fenced();
    await redis.set(leaseKey(prefix), '7:replica-a');
    const lost = store.commitPoll(commit(['b']), 7);
    await expect(lost).rejects.toMatchObject({ name: 'StateWriteError', code: BASELINE_MISSING_CODE });
    expect(await store.lastEventId()).toBe(0);
    expect(await store.loadRoom('app', 'r1')).toBeUndefined();
    await store.commitPoll(commit([], ['a']), 7); // a baseline is accepted
    expect((await store.loadRoom('app', 'r1'))!.visible).toEqual(['a']);
  });

  test('the events are a stream with ids <eventId>-0 and the commit time, readable with XRANGE', async () => {
    const { store, prefix } = await fenced();
    await redis.set(leaseKey(prefix), '3:r');
    await store.commitPoll(commit(['a', 'b'], []), 3);
    const raw = await redis.xrange(store.streamKey, '-', '+');
    expect(raw.map(([id]) => id)).toEqual(['1-0', '2-0']);
    expect(JSON.parse(raw[0]![1][1]!)).toMatchObject({ type: 'join', userId: 'a', roomId: 'r1' });
    expect(raw[0]![1][2]).toBe('t');
  });

  test('defect 9: an id counter lost behind the stream continues above the stream\'s last id; nothing is written in part', async () => {
    const { store, prefix } = await fenced();
    await redis.set(leaseKey(prefix), '7:replica-a');
    await store.commitPoll(commit([], []), 7);
    await store.commitPoll(commit(['a', 'b']), 7);
    await redis.del(`${prefix}event-id`); // the counter key was lost; the stream's top is 2-0
    const events = await store.commitPoll(commit(['c']), 7);
    expect(events.map((e) => [e.id, e.userId])).toEqual([[3, 'c']]);
    expect((await store.readEvents(0, 10)).map((e) => e.id)).toEqual([1, 2, 3]);
    expect(new Set((await store.loadRoom('app', 'r1'))!.visible)).toEqual(new Set(['a', 'b', 'c']));
    // Pruned away entirely: the stream remembers its last id, and so do the next ids.
    await redis.xtrim(store.streamKey, 'MAXLEN', 0);
    await redis.del(`${prefix}event-id`);
    const [d] = await store.commitPoll(commit(['d']), 7);
    expect(d!.id).toBe(4);
  });

  test('defect 9: a commit that cannot append its events writes nothing at all (no member change, no counter)', async () => {
    const { store, prefix } = await fenced();
    await redis.set(leaseKey(prefix), '7:replica-a');
    await store.commitPoll(commit([], ['a']), 7);
    await redis.del(store.streamKey);
    await redis.set(store.streamKey, 'not a stream');
    await expect(store.commitPoll(commit(['b']), 7)).rejects.toBeInstanceOf(StateWriteError);
    expect((await store.loadRoom('app', 'r1'))!.visible).toEqual(['a']);
    expect(await redis.get(`${prefix}event-id`)).toBeNull();
    await redis.set(`${prefix}event-id`, 'garbage');
    await redis.del(store.streamKey);
    await expect(store.commitPoll(commit(['b']), 7)).rejects.toBeInstanceOf(StateWriteError);
    expect((await store.loadRoom('app', 'r1'))!.visible).toEqual(['a']);
  });

  test('a Redis failure rejects with a StateWriteError', async () => {
    const broken = new RedisStore({ redis, keyPrefix: 'broken:', leaseKey: 'broken:leader', requireBaseline: false, retention });
    await redis.set('broken:leader', '1:r');
    await redis.set('broken:rooms', 'not a hash');
    await expect(broken.commitPoll(commit(['a'], []), 1)).rejects.toBeInstanceOf(StateWriteError);
  });
});
