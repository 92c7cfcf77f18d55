import { RoomPoller } from '../../src/polling/room-poller';
import { AdaptiveRate } from '../../src/ratelimit/adaptive-rate';
import { Permit, SlidingWindowLimiter } from '../../src/ratelimit/limiter';
import { MemoryStore } from '../../src/store/memory-store';
import { RoomStore } from '../../src/store/room-store';
import type { Fence, PollCommit, StateStore } from '../../src/store/store';
import { StateWriteError } from '../../src/store/store';
import { TransportError, VendorError } from '../../src/volc/errors';
import { FakeApi, snapshot } from '../fakes/fake-api';
import { FakeClock } from '../fakes/fake-clock';
import { memoryLogger, RecordingObserver, RecordingSink } from '../fakes/recorders';

const room = { appId: 'app', roomId: 'r1' };

function setup(maxRetries = 2) {
  const clock = new FakeClock(1_700_000_000_000);
  const api = new FakeApi();
  const rate = new AdaptiveRate(10, 1);
  const limiter = new SlidingWindowLimiter(clock, rate, 40);
  const state = new MemoryStore({ maxEvents: 1000, maxAgeSeconds: 3600 });
  const failing = { code: undefined as string | undefined };
  // The memory store, with commits that fail while `failing.code` is set.
  const flaky = Object.assign(Object.create(state) as StateStore, {
    commitPoll: (c: PollCommit, fence: Fence) => (failing.code ? Promise.reject(new StateWriteError('cannot write', failing.code)) : state.commitPoll(c, fence)),
  });
  const store = new RoomStore(flaky, () => 1);
  store.setRooms([room]);
  const sink = new RecordingSink();
  const observer = new RecordingObserver();
  const log = memoryLogger();
  const poller = new RoomPoller({
    api,
    limiter,
    rate,
    store,
    sink,
    observer,
    clock,
    monotonic: clock,
    logger: log.logger,
    retry: { maxRetries, baseDelayMs: 100, maxDelayMs: 1000 },
    random: () => 1,
  });
  const throwingSink = { emit: () => { throw new Error('sink bug'); } };
  const pollerWithBrokenSink = new RoomPoller({ api, limiter, rate, store, sink: throwingSink, observer, clock, monotonic: clock, logger: log.logger, retry: { maxRetries, baseDelayMs: 100, maxDelayMs: 1000 } });
  const poll = async (): Promise<boolean> => {
    const p = poller.poll(room);
    await clock.advance(10_000);
    return p;
  };
  return { clock, api, rate, store, state, failing, sink, observer, log, poller, poll, pollerWithBrokenSink };
}

describe('RoomPoller', () => {
  it('baselines, then emits the diff of consecutive successful polls', async () => {
    const t = setup();
    t.api.script('r1', snapshot(['a']), snapshot(['a', 'b']));
    expect(await t.poll()).toBe(true);
    expect(t.sink.events).toEqual([]);
    expect(await t.poll()).toBe(true);
    expect(t.sink.events.map((e) => `${e.type}:${e.userId}`)).toEqual(['join:b']);
  });

  it('retries a retryable error through the limiter with backoff, then succeeds', async () => {
    const t = setup();
    t.api.script('r1', new VendorError('InternalError', 'boom', 500), snapshot(['a']));
    expect(await t.poll()).toBe(true);
    expect(t.api.calls).toHaveLength(2);
    expect(t.observer.retries).toBe(1);
    expect(t.observer.waits).toHaveLength(2); // each attempt took a permit
  });

  it('sends a retry ahead of the rooms still waiting for the limiter, so a refused room is not the late one', async () => {
    const t = setup();
    const rooms = ['r1', 'r2', 'r3', 'r4'].map((roomId) => ({ appId: 'app', roomId }));
    t.store.setRooms(rooms);
    t.api.script('r1', new VendorError('FlowLimitExceeded', 'slow down', 429), snapshot(['a']));
    for (const r of rooms.slice(1)) t.api.script(r.roomId, snapshot(['a']));
    // All four queue at once (a cycle); r1's first attempt is refused, its retry asks again 100 ms later.
    const polls = rooms.map((r) => t.poller.poll(r));
    await t.clock.advance(10_000);
    expect(await Promise.all(polls)).toEqual([true, true, true, true]);
    expect(t.api.calls.map((c) => c.roomId)).toEqual(['r1', 'r1', 'r2', 'r3', 'r4']);
  });

  it('with a permit already granted (the due-time pump) takes none for the first attempt, and one for each retry', async () => {
    const t = setup();
    t.api.script('r1', new VendorError('InternalError', 'boom', 500), snapshot(['a']));
    let started = 0;
    const p = t.poller.poll(room, undefined, { permit: { waitedMs: 1500, start: async () => void started++, holds: () => true } });
    await t.clock.advance(10_000);
    expect(await p).toBe(true);
    expect(t.api.calls).toHaveLength(2);
    // The pump's wait is reported as the first attempt's; the retry waited for its own permit.
    expect(t.observer.waits).toHaveLength(2);
    expect(t.observer.waits[0]).toBe(1.5);
    // The pump's permit still counts when its request leaves.
    expect(started).toBe(1);
  });

  it('does not retry a non-retryable error, and changes no state', async () => {
    const t = setup();
    t.api.script('r1', snapshot(['a']), new VendorError('SignatureDoesNotMatch', 'bad sig', 401));
    await t.poll();
    expect(await t.poll()).toBe(false);
    expect(t.api.calls).toHaveLength(2);
    expect(t.store.get('app', 'r1')).toMatchObject({ up: false, totalUsers: 1, pollFailures: 1 });
    expect(t.sink.events).toEqual([]);
  });

  it('gives up after maxRetries and counts one failure', async () => {
    const t = setup(2);
    t.api.script('r1', new TransportError('Timeout', 'slow'));
    expect(await t.poll()).toBe(false);
    expect(t.api.calls).toHaveLength(3);
    expect(t.observer.failures).toEqual(['Timeout']);
  });

  it('tells the shared rate about every 429: a lone one is retried and cuts nothing, an episode that starts with four at rate 10 cuts four', async () => {
    const t = setup(3);
    t.api.script('r1', new VendorError('FlowLimitExceeded', 'slow down', 429), snapshot(['a']));
    expect(await t.poll()).toBe(true);
    expect(t.rate.current()).toBe(10); // a stray (adaptive-rate.test.ts)
    const throttled = new VendorError('FlowLimitExceeded', 'slow down', 429);
    t.api.script('r1', throttled, throttled, throttled, throttled);
    expect(await t.poll()).toBe(false); // four attempts within one window, all refused: the evidence at rate 10
    expect(t.rate.current()).toBe(6);
    expect(t.observer.throttles).toBe(5);
  });

  it('does not retry or count as an API failure a fault in processing a good response', async () => {
    const t = setup();
    t.api.script('r1', snapshot(['a']), snapshot(['a', 'b']));
    await t.poll();
    const p = t.pollerWithBrokenSink.poll(room);
    await t.clock.advance(10_000);
    expect(await p).toBe(true);
    expect(t.api.calls).toHaveLength(2);
    expect(t.observer.retries).toBe(0);
    expect(t.store.get('app', 'r1')).toMatchObject({ totalUsers: 2, up: true, pollFailures: 0 });
    expect(t.log.lines().some((l) => l.msg === 'processing a poll result failed')).toBe(true);
  });

  it('emits only committed events, with their ids; a failed commit emits nothing, is counted, logged once per state change, and the next poll reports the change', async () => {
    const t = setup();
    t.api.script('r1', snapshot(['a']), snapshot(['a', 'b']), snapshot(['a', 'b']), snapshot(['a', 'b', 'c']), snapshot(['a', 'b', 'c']), snapshot(['a', 'b', 'c']));
    await t.poll();
    t.failing.code = 'SQLITE_FULL';
    expect(await t.poll()).toBe(false);
    expect(await t.poll()).toBe(false);
    t.failing.code = 'SQLITE_IOERR';
    expect(await t.poll()).toBe(false);
    expect(t.sink.events).toEqual([]);
    expect(t.observer.stateWriteFailures).toBe(3);
    expect(t.store.get('app', 'r1')).toMatchObject({ totalUsers: 1, joins: 0 });
    t.failing.code = undefined;
    expect(await t.poll()).toBe(true);
    await t.poll();
    expect(t.sink.events.map((e) => `${e.id}:${e.type}:${e.userId}`)).toEqual(['1:join:b', '2:join:c']);
    expect(await t.state.readEvents(0, 10)).toEqual(t.sink.events);
    const msgs = t.log.lines().filter((l) => l.level !== 20).map((l) => `${String(l.msg)}:${String(l.code ?? l.previousCode)}`);
    expect(msgs).toEqual([
      'state store commit failed; the poll is not applied and will be diffed again:SQLITE_FULL',
      'state store commit failed; the poll is not applied and will be diffed again:SQLITE_IOERR',
      'state store commits recovered:SQLITE_IOERR',
    ]);
  });

  it('logs a persistent failure once per state change, and the recovery once', async () => {
    const t = setup(0);
    const denied = new VendorError('AccessDenied', 'no', 403);
    t.api.script('r1', denied, denied, denied, new VendorError('InvalidParameter.NotExistAppId', 'x', 400), snapshot([]));
    for (let i = 0; i < 5; i++) await t.poll();
    const msgs = t.log.lines().filter((l) => l.level !== 20).map((l) => `${String(l.msg)}:${String(l.code ?? l.previousCode)}`);
    expect(msgs).toEqual(['room poll failed:AccessDenied', 'room poll failed:InvalidParameter.NotExistAppId', 'room poll recovered:InvalidParameter.NotExistAppId']);
  });

  it('a poll waiting when a reload moves the account to another key takes its permit from the new key\'s limiter', async () => {
    const t = setup();
    t.api.script('r1', snapshot(['a']));
    const asked: string[] = [];
    let grantOld: (ms: number) => void = () => undefined;
    const start = async (): Promise<void> => undefined;
    const oldKey = { acquire: () => Promise.reject(new Error('unused')), permit: () => new Promise<Permit>((resolve) => ((asked.push('old'), (grantOld = (waitedMs) => resolve({ waitedMs, start, holds: () => true }))))) };
    const newKey = { acquire: () => Promise.reject(new Error('unused')), permit: async () => (asked.push('new'), { waitedMs: 0, start, holds: () => true }) };
    t.poller.setBudget({ limiter: oldKey, rate: t.rate });
    const polled = t.poller.poll(room);
    await t.clock.advance(0);
    t.poller.setBudget({ limiter: newKey, rate: new AdaptiveRate(5, 1) });
    grantOld(0);
    expect(await polled).toBe(true);
    // The old key's permit is not used for a request signed with the new key.
    expect(asked).toEqual(['old', 'new']);
    expect(t.api.calls).toHaveLength(1);
  });
});
