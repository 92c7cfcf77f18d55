import type Redis from 'ioredis';

/**
 * Where each replica says how far its own consumers (its events file, the webhook it sent) have read the
 * shared log, so that after Redis lost its data the next leader continues the ids above every replica's,
 * not only its own (README, cluster mode). Key `<p>seen-ids`: a hash, replica id → event id.
 *
 * A replica writes its own field only, and only while its id is above the log's counter: in normal
 * operation every consumer is at or behind the counter and nothing is written. Only after the counter
 * was lost (or fell behind) do the replicas' positions land here. That is why the write is not fenced:
 * a standby must be able to report, and a report can only raise the ids' floor (a gap), never lower it.
 */

// KEYS: 1 the event id counter, 2 the board; ARGV: 1 replica id, 2 its highest seen id.
const PUBLISH_LUA = `
local seen = tonumber(ARGV[2])
if seen <= tonumber(redis.call('GET', KEYS[1]) or '0') then return 0 end
if seen <= tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0') then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return 1
`;

export interface SeenIds {
  /** Report this replica's highest seen id; written only while it is above the log's counter. */
  publish(id: number): Promise<void>;
  /** The highest id any replica reported (0 when none did). */
  highest(): Promise<number>;
  /** Whether the log's id counter exists: not in a new or emptied Redis. */
  counterExists(): Promise<boolean>;
}

interface PublishCommand {
  rtcSeenIdsPublish(counter: string, board: string, replicaId: string, id: number): Promise<number>;
}

export class RedisSeenIds implements SeenIds {
  private readonly redis: Redis & PublishCommand;
  private readonly board: string;
  private readonly counter: string;

  constructor(
    redis: Redis,
    keyPrefix: string,
    private readonly replicaId: string,
  ) {
    this.board = `${keyPrefix}seen-ids`;
    this.counter = `${keyPrefix}event-id`;
    const r = redis as Redis & Partial<PublishCommand>;
    // Once a second from every replica: EVALSHA (defineCommand), not the script text each time.
    if (!r.rtcSeenIdsPublish) r.defineCommand('rtcSeenIdsPublish', { numberOfKeys: 2, lua: PUBLISH_LUA });
    this.redis = r as Redis & PublishCommand;
  }

  async publish(id: number): Promise<void> {
    await this.redis.rtcSeenIdsPublish(this.counter, this.board, this.replicaId, Math.floor(id));
  }

  async highest(): Promise<number> {
    return Math.max(0, ...(await this.redis.hvals(this.board)).map(Number).filter(Number.isFinite));
  }

  async counterExists(): Promise<boolean> {
    return (await this.redis.exists(this.counter)) === 1;
  }
}
