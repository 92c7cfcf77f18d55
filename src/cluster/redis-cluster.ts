import { hostname } from 'node:os';
import type { Clock } from '../clock';
import type { ClusterConfig } from '../config/schema';
import type { Logger } from '../logger';
import { RedisLimiter } from '../ratelimit/redis-limiter';
import { RedisStore } from '../store/redis-store';
import type { RetentionPolicy } from '../store/store';
import { leaseTimings } from './lease-timings';
import { leaseKey, RedisLease } from './redis-lease';
import { connectRedis } from './redis-connection';
import { RedisCallbackInbox } from './redis-callback-inbox';
import { RedisSeenIds, SeenIds } from './seen-ids';

/** Everything cluster mode adds, built from `cluster` (main wires it into the daemon). */
export interface RedisCluster {
  lease: RedisLease;
  /** The shared limiter for one (account, action), gated by the lease. */
  makeLimiter(rate: { current(): number }, accessKeyId: string, action: string): RedisLimiter;
  /** The shared state (state.backend: redis) on the same connection; every commit is fenced by the lease. */
  makeStore(retention: RetentionPolicy): RedisStore;
  /** Where every replica reports how far its consumers read the log (id-floor.ts). */
  makeSeenIds(): SeenIds;
  /** Where standbys store verified callbacks for the leader (callbacks in cluster mode). */
  makeCallbackInbox(): RedisCallbackInbox;
  /** Resolves once the connection is up; rejects after `timeoutMs` (the shared store needs it to start). */
  connected(timeoutMs: number): Promise<void>;
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
    makeSeenIds: () => new RedisSeenIds(redis, cfg.redis.keyPrefix, id),
    makeCallbackInbox: () => new RedisCallbackInbox(redis, `${cfg.redis.keyPrefix}callbacks:inbox`, leaseKey(cfg.redis.keyPrefix)),
    makeStore: (retention) => new RedisStore({ redis, keyPrefix: cfg.redis.keyPrefix, leaseKey: leaseKey(cfg.redis.keyPrefix), retention }),
    connected: (timeoutMs) =>
      redis.status === 'ready'
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => {
              redis.off('ready', onReady);
              reject(new Error(`no connection within ${timeoutMs} ms`));
            }, timeoutMs);
            const onReady = (): void => {
              clearTimeout(timer);
              resolve();
            };
            redis.once('ready', onReady);
          }),
    close: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
