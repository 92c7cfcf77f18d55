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
    endpoint: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
      // The API is served at `/` and the path is part of the signature: a path here would be dropped
      // silently, so it is refused (as are a query, a fragment and credentials).
      .refine((u) => {
        if (!URL.canParse(u)) return true; // already reported as not a URL
        const url = new URL(u);
        return url.pathname === '/' && url.search === '' && url.hash === '' && url.username === '' && url.password === '';
      }, 'must be scheme, host and optional port only (no path, query or credentials), e.g. https://rtc.volcengineapi.com')
      .default('https://rtc.volcengineapi.com'),
    /** PEM file of CA certificates to trust for the endpoint instead of the system roots (read at start and reload). */
    caFile: nonEmpty.optional(),
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
    /** Open connections at most (scrapers, browsers, keep-alive); beyond it new ones are closed at once. */
    maxConnections: positiveInt.default(256),
    /** A client must send the complete request headers within this time. */
    headersTimeoutMs: positiveInt.max(600_000).default(10_000),
    /** ... and the whole request within this time (responses, e.g. event streams, are not limited). */
    requestTimeoutMs: positiveInt.max(600_000).default(30_000),
    /** An idle keep-alive connection is closed after this time. */
    keepAliveTimeoutMs: positiveInt.max(600_000).default(65_000),
  })
  .prefault({})
  .superRefine((v, ctx) => {
    if (v.headersTimeoutMs > v.requestTimeoutMs) ctx.addIssue({ code: 'custom', path: ['headersTimeoutMs'], message: 'must be <= server.requestTimeoutMs' });
  });

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
 * Ids are strings. Control characters (NUL, tab, newline, ...) are refused: no real id has them and they
 * would corrupt log lines and keys. Unquoted YAML numbers are checked against their source text in load.ts;
 * a number that still reaches here (a non-YAML caller) is accepted when it is an exact integer.
 */
const id = z
  .union([
    z.string(),
    z
      .number()
      .refine((n) => Number.isSafeInteger(n) && n >= 0, 'must be a string (quote large or non-integer numeric ids)')
      .transform(String),
  ])
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  .pipe(nonEmpty.refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'must not contain control characters (NUL, tab, newline, ...)'));

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
    rooms: z.array(room).min(1, 'must list at least one room'),
  })
  .superRefine((cfg, ctx) => {
    const seen = new Map<string, number>();
    cfg.rooms.forEach((r, i) => {
      const key = JSON.stringify([r.appId, r.roomId]);
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
