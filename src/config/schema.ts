import { validate as validateCron } from 'node-cron';
import { z } from 'zod';

/**
 * The whole configuration: shape, defaults and validation in one place. Every object is strict, so an
 * unknown key is an error that names its path. Units are in the key names.
 */

export const MAX_QPS = 40;

const positiveInt = z.number().int().positive();
const nonEmpty = z.string().trim().min(1, 'must be a non-empty string');

const api = z
  .strictObject({
    endpoint: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).default('https://rtc.volcengineapi.com'),
    region: nonEmpty.default('cn-north-1'),
    service: nonEmpty.default('rtc'),
    version: nonEmpty.default('2023-08-01'),
    timeoutMs: positiveInt.max(120_000).default(5000),
    /** Retries after the first attempt for retryable errors; each retry goes through the limiter. */
    maxRetries: z.number().int().min(0).max(10).default(2),
    retryBaseDelayMs: positiveInt.max(60_000).default(250),
    retryMaxDelayMs: positiveInt.max(300_000).default(5000),
  })
  .prefault({});

const rateLimit = z
  .strictObject({
    qps: z
      .number()
      .gt(0, 'must be > 0')
      .lt(MAX_QPS, `must be < ${MAX_QPS} (the vendor's per-account cap for GetRoomOnlineUsers)`)
      .default(30),
    /** Lowest rate the adaptive back-off may drop to after throttling. */
    minQps: z.number().gt(0, 'must be > 0').default(1),
  })
  .prefault({})
  .superRefine((v, ctx) => {
    if (v.qps > 0 && v.qps < MAX_QPS && v.minQps > v.qps) ctx.addIssue({ code: 'custom', path: ['minQps'], message: 'must be <= rateLimit.qps' });
  });

const server = z
  .strictObject({
    host: nonEmpty.default('0.0.0.0'),
    port: z.number().int().min(0).max(65535).default(9479),
  })
  .prefault({});

const webhook = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  /** HMAC-SHA256 key for the X-RTC-Signature header. Prefer env RTC_WEBHOOK_SECRET over the file. */
  secret: z.string().min(1, 'must be a non-empty string').optional(),
  batchSize: positiveInt.max(10_000).default(100),
  flushIntervalMs: positiveInt.default(1000),
  maxQueue: positiveInt.default(10_000),
  maxRetries: z.number().int().min(0).max(20).default(5),
  timeoutMs: positiveInt.default(5000),
});

const events = z
  .strictObject({
    /** Optional NDJSON file, appended to. */
    file: nonEmpty.optional(),
    /** Also log each event as a pino line on stdout. */
    log: z.boolean().default(true),
    webhook: webhook.optional(),
  })
  .prefault({});

const state = z
  .strictObject({
    file: nonEmpty.optional(),
    saveIntervalMs: positiveInt.default(30_000),
  })
  .prefault({});

const shutdown = z
  .strictObject({
    timeoutMs: positiveInt.max(120_000).default(5000),
  })
  .prefault({});

/**
 * Replicas: present = cluster mode (leader lease, shared rate limit in Redis); absent = one process.
 * The URL may carry a password (redis://:pass@host): it is never logged; prefer env RTC_REDIS_PASSWORD.
 */
const cluster = z
  .strictObject({
    redis: z.strictObject({
      url: z
        .string()
        .refine((s) => URL.canParse(s) && /^rediss?:$/.test(new URL(s).protocol), 'must be a redis:// or rediss:// URL'),
      keyPrefix: z.string().min(1, 'must be a non-empty string').default('rtc-room-monitor:'),
      connectTimeoutMs: positiveInt.max(60_000).default(5000),
      /** A command (lease renewal, permit) that takes longer counts as failed. */
      commandTimeoutMs: positiveInt.max(60_000).default(1000),
    }),
    /** A standby takes over at most this long after the leader dies or is cut off. */
    failoverSeconds: z.number().min(1, 'must be >= 1').max(600, 'must be <= 600').default(10),
  })
  .superRefine((c, ctx) => {
    // A renewal that may take as long as the lease renewal interval could cost the leader its lease.
    const renewMs = (c.failoverSeconds * 1000 * 0.7) / 3;
    if (c.redis.commandTimeoutMs >= renewMs) {
      ctx.addIssue({ code: 'custom', path: ['redis', 'commandTimeoutMs'], message: `must be < ${Math.floor(renewMs)} (the lease renewal interval for cluster.failoverSeconds ${c.failoverSeconds})` });
    }
  });

/** Ids are strings; an unquoted YAML number is accepted when it is an exact integer. */
const id = z.union([
  nonEmpty,
  z
    .number()
    .refine((n) => Number.isSafeInteger(n) && n >= 0, 'must be a string (quote large or non-integer numeric ids)')
    .transform(String),
]);

const room = z.strictObject({
  appId: id,
  roomId: id,
  /** Optional size of the room, exported as rtc_room_capacity for relative occupancy alerts. */
  capacity: positiveInt.optional(),
});

export const configSchema = z
  .strictObject({
    api,
    rateLimit,
    schedule: z
      .string()
      .default('*/15 * * * * *')
      .refine((s) => validateCron(s), 'must be a valid node-cron expression (5 fields, or 6 with seconds)'),
    server,
    events,
    state,
    shutdown,
    cluster: cluster.optional(),
    rooms: z.array(room).min(1, 'must list at least one room'),
  })
  .superRefine((cfg, ctx) => {
    const seen = new Map<string, number>();
    cfg.rooms.forEach((r, i) => {
      const key = `${r.appId}\u0000${r.roomId}`;
      const first = seen.get(key);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['rooms', i],
          message: `duplicate of rooms[${first}] (appId ${r.appId}, roomId ${r.roomId})`,
        });
      } else {
        seen.set(key, i);
      }
    });
  });

export type Config = z.infer<typeof configSchema>;
export type RoomConfig = Config['rooms'][number];
export type WebhookConfig = NonNullable<Config['events']['webhook']>;
export type ClusterConfig = NonNullable<Config['cluster']>;
