import type Redis from 'ioredis';
import type { ClusterConfig } from '../config/schema';
import type { Logger } from '../logger';

/** The URL with any user name and password replaced, for logs and error messages. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    if (u.username) u.username = '***';
    return u.toString();
  } catch {
    return '(unparsable redis url)';
  }
}

/**
 * The one Redis connection of a replica. Commands fail fast while it is down (no offline queue, no
 * per-command retries, a command timeout): a lease renewal that waited for a reconnect would be a
 * renewal the leader cannot trust. ioredis reconnects on its own; each state change is logged once.
 */
export function connectRedis(cfg: ClusterConfig['redis'], password: string | undefined, logger: Logger): Redis {
  const where = redactRedisUrl(cfg.url);
  // Loaded here, not at the top: ioredis and its dependencies are about 7 MiB of resident memory (issue #13
  // measured it) that a single replica, which never connects to Redis, should not carry.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const RedisClient = (require('ioredis') as typeof import('ioredis')).default;
  const redis = new RedisClient(cfg.url, {
    ...(password ? { password } : {}),
    connectTimeout: cfg.connectTimeoutMs,
    commandTimeout: cfg.commandTimeoutMs,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: (attempt) => Math.min(100 * attempt, 2000),
  });
  let down = false;
  redis.on('error', (err: Error) => {
    if (down) return;
    down = true;
    logger.error({ redis: where, err: { name: err.name, message: err.message } }, 'redis connection failed; retrying');
  });
  redis.on('ready', () => {
    if (down) logger.info({ redis: where }, 'redis connection restored');
    else logger.info({ redis: where }, 'connected to redis');
    down = false;
  });
  return redis;
}
