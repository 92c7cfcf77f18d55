import { resolve } from 'node:path';
import { validate as validateCron } from 'node-cron';
import { z } from 'zod';
import { schedulePeriodSeconds } from '../scheduler/ticker';

/**
 * The whole configuration: shape, defaults and validation in one place. Every object is strict, so an
 * unknown key is an error that names its path. Units are in the key names.
 */

export const MAX_QPS = 40;
/** The account used when `accounts` is absent (keys from VOLC_ACCESSKEY / VOLC_SECRETKEY). */
export const DEFAULT_ACCOUNT = 'default';

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
    /** Version of ListRoomInfo (discovery); 2023-11-01 has the same fields. */
    listRoomInfoVersion: nonEmpty.default('2020-12-01'),
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

export const DEFAULT_STATE_FILE = 'data/rtc-room-monitor.db';

const state = z
  .strictObject({
    /**
     * `sqlite` (durable), `memory` (nothing survives a restart) or `redis` (cluster mode only: the replicas
     * share one state and event log in cluster.redis). Default: `redis` with `cluster`, else `sqlite`
     * (set in configSchema's transform, which sees both sections): replicas on per-replica stores diverge,
     * so they get one only when it is asked for.
     */
    backend: z.enum(['sqlite', 'memory', 'redis']).optional(),
    /** SQLite database path, relative to the working directory. */
    file: nonEmpty.default(DEFAULT_STATE_FILE),
    retention: z
      .strictObject({
        maxEvents: positiveInt.default(1_000_000),
        maxAgeSeconds: positiveInt.default(7 * 24 * 3600),
      })
      .prefault({}),
    saveIntervalMs: z.unknown().refine((v) => v === undefined, 'no longer used: state is committed on every poll; remove this key').optional(),
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

/** Account names appear in metric labels and room references: short and label-safe. */
const accountName = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, _ or -');
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name');

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


const room = z.strictObject({
  appId: id,
  roomId: id,
  /** Optional size of the room, exported as rtc_room_capacity for relative occupancy alerts. */
  capacity: positiveInt.optional(),
  /** Name of an entry of `accounts`; default: the first account. */
  account: accountName.optional(),
});

/** One access key pair with its own API settings and its own limiters (the vendor caps per account). */
const account = z.strictObject({
  name: accountName,
  accessKeyEnv: envName,
  secretKeyEnv: envName,
  api,
  rateLimit,
});

/** Prometheus label names (the `labels` of discovered rooms become labels of rtc_room_info). */
const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const RESERVED_LABELS = new Set(['app_id', 'room_id', 'account', 'source']);
export const roomLabels = z
  .record(z.string(), z.string())
  .superRefine((labels, ctx) => {
    for (const name of Object.keys(labels)) {
      if (!labelName.test(name) || name.startsWith('__')) {
        ctx.addIssue({ code: 'custom', path: [name], message: 'must be a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with __)' });
      } else if (RESERVED_LABELS.has(name)) {
        ctx.addIssue({ code: 'custom', path: [name], message: 'is reserved (app_id, room_id, account, source)' });
      }
    }
  });

const discoveredApp = z.union([id.transform((appId) => ({ appId, account: undefined as string | undefined })), z.strictObject({ appId: id, account: accountName.optional() })]);

const listRoomInfo = z.strictObject({
  apps: z.array(discoveredApp).min(1, 'must list at least one app'),
  /** How often to look for new calls. */
  intervalSeconds: positiveInt.max(3600).default(15),
  /** How far back a call that is still live may have started (the vendor keeps 14 days). */
  lookbackHours: positiveInt.max(336, 'must be <= 336 (the vendor keeps 14 days)').default(24),
  /** Each pass re-reads calls created this long before the previous pass (the vendor's data delay is ~20 s). */
  overlapSeconds: z.number().int().min(0).max(3600).default(60),
  /** ListRoomInfo requests per second per account (the vendor's cap is 10 in any rolling second). */
  qps: z.number().gt(0, 'must be > 0').lt(10, 'must be < 10 (the vendor cap for ListRoomInfo)').default(5),
});

const fileSource = z.union([nonEmpty, z.array(nonEmpty)]);

const httpSource = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  intervalSeconds: positiveInt.max(86_400).default(60),
  timeoutMs: positiveInt.max(120_000).default(5000),
  /** Larger answers are refused (the previous list is kept). */
  maxBytes: positiveInt.max(64 * 1024 * 1024).default(1024 * 1024),
});

const discovery = z
  .strictObject({
    listRoomInfo: listRoomInfo.optional(),
    /** Globs of YAML/JSON files, each a list of {appId, roomId, account?, labels?}. */
    files: fileSource.transform((v) => (Array.isArray(v) ? v : [v])).optional(),
    /** How often files are re-read even without a change notification. */
    filesRefreshSeconds: positiveInt.max(86_400).default(60),
    http: z.array(httpSource).optional(),
    /** A retired room stays in /metrics this long (its last values), then its series go. */
    retireAfterSeconds: z.number().int().min(0).max(86_400).default(300),
  })
  .prefault({});

/** The vendor's room callbacks: a receiver on the daemon's endpoint (see src/callbacks/). */
const callbackApp = z.strictObject({
  appId: id,
  /** Environment variable (or .env entry) with this app's callback secret; default: callbacks.secretEnv. */
  secretEnv: envName.optional(),
  /** The account whose key polls rooms first seen in this app's callbacks; default: the first account. */
  account: accountName.optional(),
});

const callbacks = z.strictObject({
  path: z
    .string()
    .regex(/^\/[A-Za-z0-9._~/-]*$/, 'must be a URL path starting with / (letters, digits, . _ ~ / -)')
    .refine((p) => !['/metrics', '/-/healthy', '/-/ready', '/-/reload', '/api/events'].includes(p) && !p.startsWith('/api/') && p !== '/', 'must not be / or a path the daemon already serves')
    .default('/callbacks/rtc'),
  secretEnv: envName.default('RTC_CALLBACK_SECRET'),
  apps: z.array(callbackApp).optional(),
  maxBodyBytes: positiveInt.max(16 * 1024 * 1024).default(65_536),
  /** A room that got a callback is polled again this long after it, to confirm. */
  confirmAfterMs: z.number().int().min(0).max(600_000).default(1000),
  /** A poll overrides a callback's change only when that change is older than the poll's request by more than this. */
  reconcileGraceMs: z.number().int().min(0).max(600_000).default(5000),
});
/**
 * How the budget is spread over the rooms: `round-robin` polls every room once per cycle; `adaptive`
 * polls rooms that change more often more often (the square-root rule, src/scheduler/interval-rule.ts),
 * never more often than the schedule period and never less often than maxIntervalSeconds.
 */
const polling = z
  .strictObject({
    strategy: z.enum(['round-robin', 'adaptive']).default('round-robin'),
    /** Adaptive: the longest a room may wait between polls; default 3 × rooms / qps, at least the period. */
    maxIntervalSeconds: z.number().gt(0, 'must be > 0').max(86_400, 'must be <= 86400').optional(),
  })
  .prefault({});

const configSchemaBase = z.strictObject({
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
    accounts: z.array(account).min(1, 'must list at least one account').optional(),
    discovery,
    cluster: cluster.optional(),
    callbacks: callbacks.optional(),
    polling,
    rooms: z.array(room).optional(),
  });

export const configSchema = configSchemaBase
  .superRefine((cfg, ctx) => {
    // Callbacks find rooms too (a room first seen in a callback is polled like a discovered one).
    const hasDiscovery = Boolean(cfg.discovery.listRoomInfo || cfg.discovery.files || cfg.discovery.http || cfg.callbacks);
    if (!hasDiscovery && cfg.rooms === undefined) {
      ctx.addIssue({ code: 'custom', path: ['rooms'], message: 'is required (or configure a discovery source)' });
    } else if (!hasDiscovery && cfg.rooms?.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['rooms'], message: 'must list at least one room (or configure a discovery source)' });
    }
    checkAccounts(cfg, ctx);
    checkPolling(cfg, ctx);
    if (cfg.state.backend === 'redis' && !cfg.cluster) {
      ctx.addIssue({ code: 'custom', path: ['state', 'backend'], message: 'redis needs cluster mode (cluster.redis.url); use sqlite or memory for one process' });
    }
    if (stateBackend(cfg) === 'sqlite' && cfg.events.file !== undefined && resolve(cfg.state.file) === resolve(cfg.events.file)) {
      ctx.addIssue({ code: 'custom', path: ['state', 'file'], message: 'must not be the same file as events.file' });
    }
    const seen = new Map<string, number>();
    (cfg.rooms ?? []).forEach((r, i) => {
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
  })
  // `rooms` is always a list after parsing (empty when only discovery is configured).
  .transform((cfg) => ({ ...cfg, rooms: cfg.rooms ?? [], state: { ...cfg.state, backend: stateBackend(cfg) } }));

/** state.backend as given, else the default for the deployment: the shared store with `cluster`. */
function stateBackend(cfg: { state: { backend?: 'sqlite' | 'memory' | 'redis' }; cluster?: unknown }): 'sqlite' | 'memory' | 'redis' {
  return cfg.state.backend ?? (cfg.cluster ? 'redis' : 'sqlite');
}

export type Config = z.infer<typeof configSchema>;
export type RoomConfig = Config['rooms'][number];
export type ApiConfig = Config['api'];
export type RateLimitConfig = Config['rateLimit'];
export type AccountConfig = NonNullable<Config['accounts']>[number];
export type DiscoveryConfig = Config['discovery'];
export type ListRoomInfoConfig = NonNullable<DiscoveryConfig['listRoomInfo']>;
export type HttpSourceConfig = NonNullable<DiscoveryConfig['http']>[number];

/** Account names unique; every room and discovered app names an account that exists. */
function checkAccounts(cfg: z.infer<typeof configSchemaBase>, ctx: z.RefinementCtx): void {
  const names = new Map<string, number>();
  (cfg.accounts ?? []).forEach((a, i) => {
    const first = names.get(a.name);
    if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['accounts', i, 'name'], message: `duplicate of accounts[${first}].name (${a.name})` });
    else names.set(a.name, i);
  });
  const known = (name: string | undefined): boolean => name === undefined || (cfg.accounts ? names.has(name) : name === DEFAULT_ACCOUNT);
  const why = cfg.accounts ? `no account named ${'%s'} in accounts` : `no account named ${'%s'}; without accounts the only one is "${DEFAULT_ACCOUNT}"`;
  (cfg.rooms ?? []).forEach((r, i) => {
    if (!known(r.account)) ctx.addIssue({ code: 'custom', path: ['rooms', i, 'account'], message: why.replace('%s', String(r.account)) });
  });
  (cfg.discovery.listRoomInfo?.apps ?? []).forEach((a, i) => {
    if (!known(a.account)) ctx.addIssue({ code: 'custom', path: ['discovery', 'listRoomInfo', 'apps', i, 'account'], message: why.replace('%s', String(a.account)) });
  });
  const callbackApps = new Map<string, number>();
  (cfg.callbacks?.apps ?? []).forEach((a, i) => {
    if (!known(a.account)) ctx.addIssue({ code: 'custom', path: ['callbacks', 'apps', i, 'account'], message: why.replace('%s', String(a.account)) });
    const first = callbackApps.get(a.appId);
    if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['callbacks', 'apps', i, 'appId'], message: `duplicate of callbacks.apps[${first}].appId (${a.appId})` });
    else callbackApps.set(a.appId, i);
  });
}

/** A bound shorter than the schedule period could never be kept: every room waits at least a period. */
function checkPolling(cfg: z.infer<typeof configSchemaBase>, ctx: z.RefinementCtx): void {
  const max = cfg.polling.maxIntervalSeconds;
  if (max === undefined || !validateCron(cfg.schedule)) return;
  const period = schedulePeriodSeconds(cfg.schedule);
  if (max < period) ctx.addIssue({ code: 'custom', path: ['polling', 'maxIntervalSeconds'], message: `must be >= the schedule period (${period} s for "${cfg.schedule}")` });
}

export type WebhookConfig = NonNullable<Config['events']['webhook']>;
export type PollingConfig = Config['polling'];
export type ClusterConfig = NonNullable<Config['cluster']>;
export type CallbacksConfig = NonNullable<Config['callbacks']>;
