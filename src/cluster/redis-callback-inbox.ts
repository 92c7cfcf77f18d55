import type Redis from 'ioredis';
import type { VerifiedCallback } from '../callbacks/callback-check';
import type { CallbackInbox } from '../callbacks/callback-inbox';
import { fencedExec } from './fencing';

/**
 * The callback inbox in Redis: one list, RPUSH by any replica, read from the head by the leader and
 * trimmed by it under the fence (a deposed leader cannot remove entries the new one has not applied).
 */
export class RedisCallbackInbox implements CallbackInbox {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly leaseKey: string,
  ) {}

  async push(callback: VerifiedCallback): Promise<void> {
    await this.redis.rpush(this.key, JSON.stringify(callback));
  }

  async peek(max: number): Promise<VerifiedCallback[]> {
    const raw = await this.redis.lrange(this.key, 0, max - 1);
    const out: VerifiedCallback[] = [];
    for (const r of raw) {
      try {
        out.push(JSON.parse(r) as VerifiedCallback);
      } catch {
        // Written by this daemon only; an unreadable entry is skipped (and trimmed with the rest).
      }
    }
    return out;
  }

  async remove(count: number, token: number): Promise<void> {
    if (count <= 0) return;
    await fencedExec(this.redis, this.leaseKey, token, "redis.call('LTRIM', KEYS[2], tonumber(ARGV[2]), -1)", [this.key], [count]);
  }
}
