import type Redis from 'ioredis';
import { AbortError, Clock } from '../clock';
import { QueuedLimiter } from './queued-limiter';
import type { Granted } from './waiter-queue';

/**
 * The rolling-window limiter for replicas: every replica asks one Redis script for permission, so across
 * all of them at most floor(qps) requests start in any rolling window, per (account, action) key.
 *
 * The script reads the time from the Redis server (TIME), never from a replica, so replicas whose clocks
 * disagree still share one window. Start times live in a sorted set (score = server microseconds); a
 * start is granted when fewer than `limit` starts fall in the last WINDOW_US, else the script answers how
 * long until the oldest counted start leaves the window. Starts are also spaced at least window/limit
 * apart (the next slot is kept in Redis), so the vendor sees a smooth stream. Unlike start-window.ts, a
 * late start does push the schedule back: between the server's grant and the request's arrival at the
 * vendor lie a Redis reply, the client's event loop, signing and a socket, and these vary by tens of
 * milliseconds on a busy host. Seen in test/integration/cluster.test.ts at qps 6 on a loaded 2-core
 * machine: bursts gave 9 arrivals in a rolling second, a catching-up schedule 8, strict spacing at most
 * 7 (qps + 1). The cost: starts are at least 1025/qps ms apart, 2.5 % below qps, plus timer lag.
 * Scripts that call TIME and then write are replicated by effects, the default since Redis 5.
 *
 * The window is 1000 ms plus a guard, as in start-window.ts, but wider: replicas on different hosts reach
 * Redis and the vendor over different paths, so the moment a permit is granted and the moment the request
 * arrives at the vendor differ more between replicas than within one process.
 */
export const CLUSTER_GUARD_MS = 25;
const WINDOW_US = (1000 + CLUSTER_GUARD_MS) * 1000;

/** A permit's record in Redis: its member of the sorted set, and when (locally) the script was asked. */
interface RedisGrant {
  member: string;
  askedAt: number;
}

// KEYS[1]: sorted set of start times; KEYS[2]: the pacing schedule's next slot. ARGV: limit, window µs, member.
// Times are µs since the epoch (16 digits): Lua's tostring keeps only 14 significant digits (100 µs steps),
// so they are written with string.format('%.0f'), exact for integers below 2^53.
const ACQUIRE_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local gap = window / limit
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
local wait = 0
if count >= limit then
  local blocking = redis.call('ZRANGE', KEYS[1], count - limit, count - limit, 'WITHSCORES')
  wait = tonumber(blocking[2]) + window - now
end
local nextSlot = tonumber(redis.call('GET', KEYS[2]) or '0')
if nextSlot - now > wait then wait = nextSlot - now end
if wait > 0 then return {0, tostring(math.ceil(wait))} end
nextSlot = now + gap
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000) * 2)
redis.call('SET', KEYS[2], string.format('%.0f', math.floor(nextSlot)), 'PX', math.ceil(window / 1000) * 2)
return {1, string.format('%.0f', now)}
`;

/** Redis could not be asked: no permit can be proven, so none is given (the poll is skipped, not failed). */
export class LimiterUnavailableError extends AbortError {
  readonly code = 'LimiterUnavailable';
  readonly retryable = true;
  constructor(reason: string) {
    super(`rate limiter unavailable: ${reason}`);
  }
}

export interface RedisLimiterOptions {
  redis: Redis;
  /** The sorted set for one (account, action), e.g. `<prefix>ratelimit:<access key id>:GetRoomOnlineUsers`. */
  key: string;
  rate: { current(): number };
  /** Monotonic clock for waits (the window itself runs on the server's clock). */
  clock: Clock;
  /**
   * Permits are handed out only while this says yes (the daemon passes leadership.isLeader): a replica
   * that lost the lease starts no request, even one that was already queued.
   */
  gate?: () => boolean;
  /** Unique per process, so two replicas' starts in the same microsecond are two members. */
  id: string;
  /** Told the server time (µs since the epoch) of every permit granted. */
  observer?: { granted(serverMicros: number): void };
}

/**
 * Same contract as SlidingWindowLimiter: one queue served by one pump, so a replica's callers start in
 * the order they asked (a retry first); the pump asks Redis for the head of the queue and, when refused,
 * sleeps for the time Redis said and asks again.
 */
export class RedisLimiter extends QueuedLimiter {
  private seq = 0;

  constructor(private readonly o: RedisLimiterOptions) {
    super(o.clock);
  }

  protected async serveHead(): Promise<void> {
    if (this.o.gate && !this.o.gate()) {
      this.queue.rejectAll(new LimiterUnavailableError('this replica is not the leader'));
      return;
    }
    const limit = Math.max(1, Math.floor(this.o.rate.current()));
    let reply: [number, string];
    // The server counts the start somewhere between asking and the reply: lateness is measured from asking.
    const grant: RedisGrant = { member: `${this.o.id}:${this.seq++}`, askedAt: this.clock.now() };
    try {
      reply = (await this.o.redis.eval(ACQUIRE_LUA, 2, this.o.key, `${this.o.key}:next`, limit, WINDOW_US, grant.member)) as [number, string];
    } catch (err) {
      // Every waiter would fail the same way; the next cycle asks again.
      this.queue.rejectAll(new LimiterUnavailableError(err instanceof Error ? err.message : String(err)));
      return;
    }
    if (reply[0] === 1) {
      this.o.observer?.granted(Number(reply[1]));
      // To whoever is at the head now (the one we asked for may have aborted meanwhile); with nobody left
      // the permit is spent unused (counted against us, never over the cap).
      this.queue.grantHead(this.clock.now(), grant);
      return;
    }
    // Timers have 1 ms resolution; waking early would only ask again, so round up.
    await this.clock.sleep(Math.ceil(Number(reply[1]) / 1000), this.stopped.signal);
  }

  /** Half the guard, as in-process; a Redis round trip (a millisecond on a LAN) is part of it. */
  protected readonly lateMs = CLUSTER_GUARD_MS / 2;

  protected grantedAt(granted: Granted): number {
    return (granted.token as RedisGrant).askedAt;
  }

  /**
   * Take the start out of the shared window. Best effort: if Redis cannot be told, the start stays counted
   * (the window errs on the slow side, never over the cap).
   */
  protected takeBack(granted: Granted): void {
    this.o.redis.zrem(this.o.key, (granted.token as RedisGrant).member).catch(() => undefined);
  }
}
