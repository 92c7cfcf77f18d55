import { hostname } from 'node:os';
import type { Clock } from '../clock';
import type { ClusterConfig } from '../config/schema';
import type { Logger } from '../logger';
import { RedisLimiter } from '../ratelimit/redis-limiter';
import { leaseTimings } from './lease-timings';
import { RedisLease } from './redis-lease';
import { connectRedis } from './redis-connection';

/** Everything cluster mode adds, built from `cluster` (main wires it into the daemon). */
export interface RedisCluster {
  lease: RedisLease;
  /** The shared limiter for one (account, action), gated by the lease. */
  makeLimiter(rate: { current(): number }, accessKeyId: string, action: string): RedisLimiter;
  /** Close the connection (after the daemon has stopped and released the lease). */
  close(): Promise<void>;
}

export function buildRedisCluster(cfg: ClusterConfig, deps: { password?: string; logger: Logger; monotonic: Clock }): RedisCluster {
  const redis = connectRedis(cfg.redis, deps.password, deps.logger);
  const id = `${hostname()}:${process.pid}`;
  const lease = new RedisLease({ redis, keyPrefix: cfg.redis.keyPrefix, id, timings: leaseTimings(cfg.failoverSeconds), clock: deps.monotonic, logger: deps.logger });
  return {
    lease,
    makeLimiter: (rate, accessKeyId, action) =>
      new RedisLimiter({ redis, key: `${cfg.redis.keyPrefix}ratelimit:${accessKeyId}:${action}`, rate, clock: deps.monotonic, gate: () => lease.isLeader(), id }),
    close: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
