import type Redis from 'ioredis';
import { IdFloor } from '../../src/cluster/id-floor';
import { leaseKey } from '../../src/cluster/redis-lease';
import { RedisSeenIds } from '../../src/cluster/seen-ids';
import { createLogger } from '../../src/logger';
import { RedisStore } from '../../src/store/redis-store';
import { FakeClock } from '../fakes/fake-clock';
import { describeWithRequirements } from '../support/required-tools';
import { RedisProcess, redisServer } from '../support/redis-process';
import { waitFor } from '../support/wait-for';

/**
 * Issue #18 (weak point after defect 9): after Redis lost its data, the ids must continue above what any
 * replica's consumers have seen, not only the new leader's. Real Redis; the waits on a fake clock.
 */

const INTERVAL_MS = 1000;
const SETTLE_MS = 2500;
const logger = createLogger('silent');

describeWithRequirements('IdFloor: the ids continue above every replica\'s consumers', [redisServer], () => {
  let server: RedisProcess;
  let redis: Redis;
  let n = 0;
  let prefix: string;
  const floors: IdFloor[] = [];

  beforeAll(async () => {
    server = await RedisProcess.start();
    redis = await server.client();
  }, 20_000);
  afterEach(async () => {
    for (const f of floors.splice(0)) await f.stop();
  });
  afterAll(async () => {
    await server.stop();
  });
  beforeEach(() => {
    prefix = `floor${++n}:`;
  });

  const store = (): RedisStore => new RedisStore({ redis, keyPrefix: prefix, leaseKey: leaseKey(prefix), retention: { maxEvents: 1000, maxAgeSeconds: 3600 } });
  const replica = (id: string, seen: () => number, clock: FakeClock, fence: () => number | undefined = () => undefined): { board: RedisSeenIds; floor: IdFloor } => {
    const board = new RedisSeenIds(redis, prefix, id);
    const floor = new IdFloor({ board, seen, store: store(), fence, clock, logger, intervalMs: INTERVAL_MS, settleMs: SETTLE_MS });
    floors.push(floor);
    return { board, floor };
  };

  it('writes nothing while the log is ahead of every replica (normal operation)', async () => {
    await redis.set(`${prefix}event-id`, '50');
    const { board } = replica('b', () => 40, new FakeClock());
    await board.publish(40);
    await board.publish(50);
    expect(await redis.exists(`${prefix}seen-ids`)).toBe(0);
    expect(await board.highest()).toBe(0);
  });

  it('a new term with the counter present takes its own position at once', async () => {
    await redis.set(`${prefix}event-id`, '50');
    const { floor } = replica('a', () => 30, new FakeClock());
    // No clock advance: the floor does not wait for reports when the counter survived.
    await expect(floor.floorForTerm()).resolves.toBe(30);
  });

  it('after a data loss the new leader waits for the reports and continues above the highest one, not only its own', async () => {
    const clock = new FakeClock();
    const b = replica('b', () => 120, clock);
    const c = replica('c', () => 150, clock);
    const a = replica('a', () => 10, clock);
    await b.board.publish(120);
    const floor = a.floor.floorForTerm();
    // c reports while a waits (it reconnected later): counted too.
    await waitFor('a to start waiting', () => clock.pendingTimers().length > 0 || undefined);
    await c.board.publish(150);
    await clock.advance(SETTLE_MS);
    await expect(floor).resolves.toBe(150);
  });

  it('the leader continues the ids above a report that arrives after its term began', async () => {
    const clock = new FakeClock();
    await redis.set(leaseKey(prefix), '7:a');
    await redis.set(`${prefix}event-id`, '5');
    const leader = replica('a', () => 5, clock, () => 7);
    leader.floor.start();
    // A replica that was cut off reports a position above the log (its file saw ids Redis has lost).
    await redis.del(`${prefix}event-id`);
    await new RedisSeenIds(redis, prefix, 'late').publish(140);
    await redis.set(`${prefix}event-id`, '5');
    const counter = async (): Promise<number> => Number(await redis.get(`${prefix}event-id`));
    await waitFor('the leader to continue above the late report', async () => {
      await clock.advance(INTERVAL_MS);
      return (await counter()) >= 140 || undefined;
    });
    expect(await counter()).toBe(140);
  });

  it('a deposed leader\'s interval cannot move the counter (the write is fenced)', async () => {
    const clock = new FakeClock();
    await redis.set(leaseKey(prefix), '8:b');
    await redis.set(`${prefix}event-id`, '5');
    await redis.hset(`${prefix}seen-ids`, 'late', '140');
    const real = store();
    const attempts: string[] = [];
    const recording = {
      lastEventId: () => real.lastEventId(),
      continueIdsAfter: (id: number, token: number | undefined) =>
        real.continueIdsAfter(id, token).then(
          () => void attempts.push('written'),
          (err: Error) => {
            attempts.push(err.name);
            throw err;
          },
        ),
    };
    const floor = new IdFloor({ board: new RedisSeenIds(redis, prefix, 'a'), seen: () => 5, store: recording, fence: () => 7, clock, logger, intervalMs: INTERVAL_MS, settleMs: SETTLE_MS });
    floors.push(floor);
    floor.start();
    await waitFor('the stale leader to try', async () => {
      await clock.advance(INTERVAL_MS);
      return attempts.length > 0 || undefined;
    });
    expect(attempts[0]).toBe('StaleLeaderError');
    expect(await redis.get(`${prefix}event-id`)).toBe('5');
  });
});
