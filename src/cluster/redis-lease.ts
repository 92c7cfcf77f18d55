import type Redis from 'ioredis';
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import type { LeaseTimings } from './lease-timings';
import type { Leadership, Role } from './leadership';

/**
 * The leader lease in Redis: one key holding "<token>:<replica id>" with an expiry. Written by hand on
 * ioredis because the lease must hand out a fencing token with each new term and the Redlock-style
 * libraries do not (Redlock's own authors point to fencing tokens as the missing piece).
 *
 * - Acquire (one script): if the key is free, INCR the token counter and SET the key with PX ttl. When the
 *   counter is missing (a Redis restarted without persistence), it is seeded from the server clock in ms,
 *   so a new term's token is still larger than any handed out before.
 * - Renew: PEXPIRE only if the key still holds our value; release: DEL only if it does.
 * - Locally, leadership ends as soon as a renewal fails or is refused, or when the local monotonic
 *   deadline (time the last confirmed command was sent + ttl - margin) passes. `isLeader()` checks the
 *   deadline on every call, so a process that was paused (SIGSTOP, a long GC) past its lease sees itself
 *   deposed before it can act, even before any timer has fired.
 */

const ACQUIRE_LUA = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if redis.call('EXISTS', KEYS[2]) == 0 then
  local t = redis.call('TIME')
  redis.call('SET', KEYS[2], tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], token .. ':' .. ARGV[1], 'PX', ARGV[2])
return token
`;

const RENEW_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

const RELEASE_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export interface RedisLeaseOptions {
  redis: Redis;
  /** Key prefix (cluster.redis.keyPrefix); the lease lives at `<prefix>leader`. */
  keyPrefix: string;
  /** This replica's id (host name and pid), stored in the lease for operators. */
  id: string;
  timings: LeaseTimings;
  /** Monotonic clock: deadlines and sleeps. */
  clock: Clock;
  logger: Logger;
}

/** What the metrics read from the lease at scrape time. */
export interface LeaseStatus {
  /** The last command to Redis succeeded. */
  redisUp(): boolean;
  /** The token of the last term this replica held (0 before the first). */
  lastToken(): number;
  /** Terms this replica has won. */
  acquisitions(): number;
}

export function leaseKey(keyPrefix: string): string {
  return `${keyPrefix}leader`;
}

export class RedisLease implements Leadership, LeaseStatus {
  private current: Role = 'unknown';
  private held?: { value: string; token: number; deadline: number };
  private leaderWhenLost = false;
  private up = false;
  private won = 0;
  private last = 0;
  private loop?: Promise<void>;
  private readonly stopping = new AbortController();
  private deadlineTimer?: AbortController;
  private readonly listeners = new Set<(role: Role) => void>();
  private readonly key: string;
  private readonly counterKey: string;

  constructor(private readonly o: RedisLeaseOptions) {
    this.key = leaseKey(o.keyPrefix);
    this.counterKey = `${o.keyPrefix}leader:token`;
  }

  isLeader(): boolean {
    if (!this.held) return false;
    if (this.o.clock.now() >= this.held.deadline) {
      this.lose('the lease deadline passed without a confirmed renewal', 'unknown');
      return false;
    }
    return true;
  }

  token(): number | undefined {
    return this.isLeader() ? this.held?.token : undefined;
  }

  role(): Role {
    this.isLeader(); // applies a passed deadline
    return this.current;
  }

  ownsRoomSeries(): boolean {
    return this.isLeader() || (this.current === 'unknown' && this.leaderWhenLost);
  }

  onChange(listener: (role: Role) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  redisUp(): boolean {
    return this.up;
  }

  lastToken(): number {
    return this.last;
  }

  acquisitions(): number {
    return this.won;
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
    const held = this.held;
    if (held) {
      this.lose('shutting down', 'standby');
      await this.release(held.value);
    }
  }

  /** One loop: never overlaps itself, never rejects. */
  private async run(): Promise<void> {
    const { clock, timings } = this.o;
    while (!this.stopping.signal.aborted) {
      try {
        if (this.isLeader()) await this.renew();
        else await this.campaign();
      } catch (err) {
        this.unreachable(err);
      }
      const wait = this.held ? Math.max(0, Math.min(timings.renewMs, this.held.deadline - clock.now())) : timings.retryMs;
      try {
        await clock.sleep(wait, this.stopping.signal);
      } catch {
        break; // stop()
      }
    }
  }

  private async campaign(): Promise<void> {
    const { redis, id, timings, clock } = this.o;
    const sentAt = clock.now();
    const token = Number(await redis.eval(ACQUIRE_LUA, 2, this.key, this.counterKey, id, timings.ttlMs));
    this.reachable();
    if (this.stopping.signal.aborted && token > 0) {
      await this.release(`${token}:${id}`);
      return;
    }
    if (token > 0) {
      this.held = { value: `${token}:${id}`, token, deadline: sentAt + timings.ttlMs - timings.marginMs };
      this.won++;
      this.last = token;
      this.leaderWhenLost = false;
      this.armDeadline();
      this.setRole('leader', { token });
    } else {
      this.leaderWhenLost = false;
      this.setRole('standby');
    }
  }

  private async renew(): Promise<void> {
    const held = this.held!;
    const sentAt = this.o.clock.now();
    const ok = Number(await this.o.redis.eval(RENEW_LUA, 1, this.key, held.value, this.o.timings.ttlMs));
    this.reachable();
    if (this.held !== held) return; // lost while the command was in flight (deadline)
    if (ok === 1) {
      held.deadline = sentAt + this.o.timings.ttlMs - this.o.timings.marginMs;
      this.armDeadline();
    } else {
      this.lose('the lease expired or another replica holds it', 'standby');
    }
  }

  private async release(value: string): Promise<void> {
    try {
      await this.o.redis.eval(RELEASE_LUA, 1, this.key, value);
    } catch (err) {
      this.o.logger.warn({ err: redactedError(err) }, 'could not release the leader lease; it expires on its own');
    }
  }

  /** Notifies listeners as soon as the deadline passes, even if nobody asks isLeader(). */
  private armDeadline(): void {
    this.deadlineTimer?.abort();
    const timer = new AbortController();
    this.deadlineTimer = timer;
    const held = this.held!;
    this.o.clock.sleep(Math.max(0, held.deadline - this.o.clock.now()), timer.signal).then(
      () => void this.isLeader(),
      () => undefined, // re-armed or stopped
    );
  }

  private lose(reason: string, next: Role): void {
    const held = this.held;
    if (!held) return;
    this.held = undefined;
    this.deadlineTimer?.abort();
    this.leaderWhenLost = next === 'unknown';
    this.o.logger.warn({ token: held.token, reason }, 'leadership lost; standing down');
    this.setRole(next);
    // A lease we may still hold on the server would only delay the standby's takeover.
    if (next === 'unknown' && !this.stopping.signal.aborted) void this.release(held.value);
  }

  private reachable(): void {
    if (!this.up) this.o.logger.info('redis reachable');
    this.up = true;
  }

  private unreachable(err: unknown): void {
    if (this.up || this.current !== 'unknown') this.o.logger.error({ err: redactedError(err) }, 'redis unreachable; not acting as leader until it answers');
    this.up = false;
    if (this.held) this.lose('a renewal failed (redis unreachable)', 'unknown');
    else this.setRole('unknown');
  }

  private setRole(role: Role, detail: Record<string, unknown> = {}): void {
    if (role === this.current) return;
    this.current = role;
    this.o.logger.info({ role, id: this.o.id, ...detail }, role === 'leader' ? 'leadership acquired' : `role: ${role}`);
    for (const l of this.listeners) l(role);
  }
}

/** ioredis errors can quote the connection options; log only the name and message. */
function redactedError(err: unknown): { name: string; message: string } {
  return err instanceof Error ? { name: err.name, message: err.message } : { name: 'Error', message: String(err) };
}
