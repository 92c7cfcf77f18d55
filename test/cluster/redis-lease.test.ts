import type Redis from 'ioredis';
import pino from 'pino';
import { Clock, monotonicClock } from '../../src/clock';
import { fencedExec, StaleLeaderError } from '../../src/cluster/fencing';
import { AlwaysLeader, Role } from '../../src/cluster/leadership';
import { leaseTimings } from '../../src/cluster/lease-timings';
import { leaseKey, RedisLease } from '../../src/cluster/redis-lease';
import { describeWithRequirements } from '../support/required-tools';
import { RedisProcess, redisServer } from '../support/redis-process';
import { waitFor } from '../support/wait-for';

const logger = pino({ level: 'silent' });
const PREFIX = 'test:';
// Short enough for a quick test, long enough that a loaded 2-core machine does not miss renewals.
const FAILOVER_S = 2;
const timings = leaseTimings(FAILOVER_S);

describe('leaseTimings', () => {
  it.each([1, 2, 10, 60])('lets a standby take over within failoverSeconds=%p', (s) => {
    const t = leaseTimings(s);
    expect(t.ttlMs + t.retryMs).toBeLessThanOrEqual(s * 1000);
    // Renewed well before the local deadline, so one slow renewal does not cost the lease.
    expect(t.renewMs * 2).toBeLessThan(t.ttlMs - t.marginMs);
    expect(t.marginMs).toBeGreaterThan(0);
  });
});

describe('AlwaysLeader', () => {
  it('is always the leader with a constant token', async () => {
    const l = new AlwaysLeader();
    l.start();
    expect([l.isLeader(), l.role(), l.token(), l.ownsRoomSeries()]).toEqual([true, 'leader', 1, true]);
    await l.stop();
    expect(l.isLeader()).toBe(true);
  });
});

describeWithRequirements('RedisLease against a real redis-server', [redisServer], () => {
  let redis: RedisProcess;
  const leases: RedisLease[] = [];

  beforeEach(async () => {
    redis = await RedisProcess.start();
  });
  afterEach(async () => {
    for (const l of leases.splice(0)) await l.stop();
    await redis.stop();
  });

  async function lease(id: string, clock: Clock = monotonicClock, client?: Redis): Promise<RedisLease> {
    const l = new RedisLease({ redis: client ?? (await redis.client()), keyPrefix: PREFIX, id, timings, clock, logger });
    leases.push(l);
    return l;
  }
  const leaderOf = (ls: RedisLease[]): RedisLease[] => ls.filter((l) => l.isLeader());

  it('elects exactly one of two replicas; the other stands by', async () => {
    const a = await lease('a');
    const b = await lease('b');
    a.start();
    b.start();
    await waitFor('both to know their role', () => (a.role() !== 'unknown' && b.role() !== 'unknown' ? true : undefined));
    expect(leaderOf([a, b])).toHaveLength(1);
    const leader = leaderOf([a, b])[0]!;
    const standby = leader === a ? b : a;
    expect(standby.role()).toBe('standby');
    expect(standby.token()).toBeUndefined();
    expect(leader.token()).toBeGreaterThan(0);
    expect(await (await redis.client()).get(leaseKey(PREFIX))).toBe(`${leader.token()!}:${leader === a ? 'a' : 'b'}`);
    // Renewals keep it: after two TTLs the same term still holds.
    const token = leader.token();
    await new Promise((r) => setTimeout(r, timings.ttlMs * 2));
    expect(leader.token()).toBe(token);
    expect(standby.isLeader()).toBe(false);
    expect(leader.acquisitions()).toBe(1);
  }, 20_000);

  it('a standby takes over with a higher token within failoverSeconds after the leader is cut off', async () => {
    const cutClient = await redis.client();
    const a = await lease('a', monotonicClock, cutClient);
    a.start();
    await waitFor('a to lead', () => (a.isLeader() ? true : undefined));
    const b = await lease('b');
    const roles: Role[] = [];
    b.onChange((r) => roles.push(r));
    b.start();
    await waitFor('b to stand by', () => (b.role() === 'standby' ? true : undefined));
    const oldToken = a.token()!;

    const cutAt = Date.now();
    cutClient.disconnect(); // partition: a can no longer renew
    await waitFor('b to take over', () => (b.isLeader() ? true : undefined), { timeoutMs: 10_000, intervalMs: 20 });
    const tookMs = Date.now() - cutAt;
    expect(a.isLeader()).toBe(false);
    expect(a.role()).toBe('unknown');
    // a was the leader when it lost Redis: it keeps serving its last room values.
    expect(a.ownsRoomSeries()).toBe(true);
    expect(b.token()!).toBeGreaterThan(oldToken);
    expect(roles).toEqual(['standby', 'leader']);
    // The contract (ttl + retry <= failover) is checked exactly above; one second of slack for timer lag.
    expect(tookMs).toBeLessThan(FAILOVER_S * 1000 + 1000);
  }, 20_000);

  it('a paused leader whose deadline passed is deposed before any timer runs, and cannot commit', async () => {
    let jumpMs = 0;
    const pausable: Clock = { now: () => monotonicClock.now() + jumpMs, sleep: monotonicClock.sleep };
    const a = await lease('a', pausable);
    const roles: Role[] = [];
    a.onChange((r) => roles.push(r));
    a.start();
    await waitFor('a to lead', () => (a.isLeader() ? true : undefined));
    const token = a.token()!;
    const writer = await redis.client();
    const body = "return redis.call('SET', KEYS[2], ARGV[2])";
    await expect(fencedExec(writer, leaseKey(PREFIX), token, body, ['test:state'], ['v1'])).resolves.toBe('OK');

    jumpMs = timings.ttlMs; // the process "wakes up" after its lease ran out
    expect(a.isLeader()).toBe(false); // synchronously, on the first look
    expect(a.token()).toBeUndefined();
    expect(roles).toEqual(['leader', 'unknown']);

    // A new term begins (b's, or a's own again: it is awake now and may campaign like anyone).
    const b = await lease('b');
    b.start();
    const next = await waitFor('a new term', () => [a, b].find((l) => (l.token() ?? 0) > token), { timeoutMs: 10_000 });
    const stale = fencedExec(writer, leaseKey(PREFIX), token, body, ['test:state'], ['v2-from-deposed']);
    await expect(stale).rejects.toBeInstanceOf(StaleLeaderError);
    await expect(stale).rejects.toThrow(`fencing token ${token} no longer holds the leader lease`);
    expect(await writer.get('test:state')).toBe('v1');
    await expect(fencedExec(writer, leaseKey(PREFIX), next.token()!, body, ['test:state'], ['v3'])).resolves.toBe('OK');
    expect(await writer.get('test:state')).toBe('v3');
    // Exactly one of them leads the new term; the other stands by and does not claim the room series.
    const other = next === a ? b : a;
    await waitFor('the other to stand by', () => (other.role() === 'standby' ? true : undefined));
    expect(other.isLeader()).toBe(false);
    expect(other.ownsRoomSeries()).toBe(false);
  }, 20_000);

  it('the fence refuses a token when no lease exists at all', async () => {
    const writer = await redis.client();
    await expect(fencedExec(writer, leaseKey(PREFIX), 1, "return redis.call('SET', KEYS[2], 'x')", ['test:k'])).rejects.toBeInstanceOf(StaleLeaderError);
    expect(await writer.exists('test:k')).toBe(0);
  });

  it('releases the lease on stop, so the standby takes over at its next try', async () => {
    const a = await lease('a');
    a.start();
    await waitFor('a to lead', () => (a.isLeader() ? true : undefined));
    const b = await lease('b');
    b.start();
    await waitFor('b to stand by', () => (b.role() === 'standby' ? true : undefined));
    await a.stop();
    expect(await (await redis.client()).exists(leaseKey(PREFIX))).toBe(0);
    const stoppedAt = Date.now();
    await waitFor('b to take over', () => (b.isLeader() ? true : undefined), { timeoutMs: 10_000, intervalMs: 20 });
    // Released, not expired: one standby retry interval rather than a TTL (plus timer slack).
    expect(Date.now() - stoppedAt).toBeLessThan(timings.ttlMs);
  }, 20_000);

  it('survives a Redis restart: no crash, leadership resumes with a larger token than before', async () => {
    const a = await lease('a');
    a.start();
    await waitFor('a to lead', () => (a.isLeader() ? true : undefined));
    const before = a.token()!;
    await redis.kill();
    await waitFor('a to notice', () => (!a.redisUp() && !a.isLeader() ? true : undefined), { timeoutMs: 10_000 });
    expect(a.role()).toBe('unknown');
    await redis.launch(); // empty: the token counter is gone too
    await waitFor('a to lead again', () => (a.isLeader() ? true : undefined), { timeoutMs: 15_000 });
    expect(a.redisUp()).toBe(true);
    expect(a.token()!).toBeGreaterThan(before);
    expect(a.acquisitions()).toBe(2);
  }, 30_000);
});
