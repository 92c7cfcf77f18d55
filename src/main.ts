import { config as loadDotenv } from 'dotenv';
import { monotonicClock, systemClock } from './clock';
import { FencedSink } from './cluster/fenced-sink';
import { AlwaysLeader } from './cluster/leadership';
import { buildRedisCluster } from './cluster/redis-cluster';
import { ConfigError, loadConfigFile } from './config/load';
import type { Config } from './config/schema';
import { Daemon } from './daemon';
import { createEventLogger, createLogger, Logger, logLevelFromEnv } from './logger';
import type { EventSink } from './polling/room-poller';
import { CronTicker } from './scheduler/ticker';
import { EventFanout } from './sinks/event-fanout';
import { EventFileSink } from './sinks/event-file-sink';
import { EventLogSink } from './sinks/event-log-sink';
import { ClusterMetrics } from './sinks/cluster-metrics';
import { Metrics } from './sinks/metrics';
import { WebhookSink } from './sinks/webhook-sink';
import { loadState, saveState } from './state/state-file';
import { packageVersion } from './version';
import { VolcClient } from './volc/client';
import { Credentials, credentialsFromEnv } from './volc/credentials';

export const ENV_WEBHOOK_SECRET = 'RTC_WEBHOOK_SECRET';
export const ENV_REDIS_PASSWORD = 'RTC_REDIS_PASSWORD';

/**
 * Wiring only: load the environment and config, build the real objects, connect them, handle signals.
 * Resolves with the process exit code once the daemon has stopped (or failed to start).
 */
export async function runDaemon(configPath: string): Promise<number> {
  // Real environment wins over .env (dotenv never overrides a variable that is already set).
  loadDotenv({ quiet: true });

  let config: Config;
  let credentials: Credentials;
  let logger: Logger;
  try {
    logger = createLogger(logLevelFromEnv(process.env));
    config = loadConfigFile(configPath);
    credentials = credentialsFromEnv(process.env);
  } catch (err) {
    process.stderr.write(`${err instanceof ConfigError ? err.message : `error: ${(err as Error).message}`}\n`);
    return 2;
  }

  const version = packageVersion();
  // Cluster mode: a leader lease and a shared limiter in Redis; otherwise a single process is always the leader.
  const cluster = config.cluster ? buildRedisCluster(config.cluster, { password: process.env[ENV_REDIS_PASSWORD] || undefined, logger, monotonic: monotonicClock }) : undefined;
  const leadership = cluster?.lease ?? new AlwaysLeader();
  // The metrics read live values from the daemon built below; they are only read at scrape time, after it exists.
  const metrics = new Metrics({
    // Only the replica that holds the room state exports it, so sum() across replicas does not double.
    rooms: () => (leadership.ownsRoomSeries() ? daemon.store.views() : []),
    roomCount: () => daemon.store.size(),
    configuredQps: () => daemon.configuredQps(),
    effectiveQps: () => daemon.effectiveQps(),
    pollIntervalSeconds: () => daemon.pollIntervalSeconds(),
    version,
  });

  const clusterMetrics = cluster
    ? new ClusterMetrics(metrics.registry, { leader: () => cluster.lease.isLeader(), token: () => cluster.lease.lastToken(), acquisitions: () => cluster.lease.acquisitions(), redisUp: () => cluster.lease.redisUp() })
    : undefined;

  let sinks: ReturnType<typeof buildSinks>;
  try {
    sinks = buildSinks(config, logger, metrics);
  } catch (err) {
    process.stderr.write(`events.file: cannot open ${config.events.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n`);
    return 2;
  }
  const daemon: Daemon = new Daemon(config, {
    logger,
    clock: systemClock,
    monotonic: monotonicClock,
    metrics,
    sink: new FencedSink(
      new EventFanout(
        sinks.list,
        (events) => metrics.eventsEmitted(events),
        (name, err) => {
          metrics.sinkError(name);
          logger.error({ sink: name, err }, 'event sink failed');
        },
      ),
      leadership,
      (events) => clusterMetrics?.withheld(events),
    ),
    makeApi: (cfg) =>
      new VolcClient(
        { endpoint: cfg.api.endpoint, region: cfg.api.region, service: cfg.api.service, version: cfg.api.version, timeoutMs: cfg.api.timeoutMs, credentials },
        metrics,
      ),
    makeTicker: (schedule) => new CronTicker(schedule, logger),
    loadConfig: () => loadConfigFile(configPath),
    state: config.state.file ? stateHooks(config.state.file, logger, metrics) : undefined,
    closeSinks: sinks.close,
    version,
    leadership,
    makeLimiter: cluster ? (rate) => cluster.makeLimiter(rate, credentials.accessKeyId, 'GetRoomOnlineUsers') : undefined,
  });

  const stopped = new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      // A second Ctrl-C must not kill the process halfway through flushing events and saving state.
      if (stopping) return void logger.warn({ signal }, 'already shutting down');
      stopping = true;
      logger.info({ signal }, 'signal received');
      daemon.shutdown().then(
        async () => {
          await cluster?.close();
          resolve(0);
        },
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
  process.on('SIGHUP', () => void daemon.reload());

  try {
    await daemon.start();
  } catch (err) {
    logger.error({ err, host: config.server.host, port: config.server.port }, 'cannot start');
    return 1;
  }
  return stopped;
}

function buildSinks(
  config: Config,
  logger: Logger,
  metrics: Metrics,
): { list: { name: string; sink: EventSink }[]; close: (deadlineMs: number) => Promise<void> } {
  const list: { name: string; sink: EventSink }[] = [];
  if (config.events.log) list.push({ name: 'log', sink: new EventLogSink(createEventLogger()) });
  let file: EventFileSink | undefined;
  if (config.events.file) {
    file = new EventFileSink(config.events.file, (err) => {
      metrics.sinkError('file');
      logger.error({ err, file: config.events.file }, 'event file write failed');
    });
    list.push({ name: 'file', sink: file });
  }
  let webhook: WebhookSink | undefined;
  const hook = config.events.webhook;
  if (hook) {
    webhook = new WebhookSink(
      { ...hook, secret: process.env[ENV_WEBHOOK_SECRET] || hook.secret },
      {
        clock: systemClock,
        logger,
        observer: {
          queueLength: (n) => metrics.webhookQueue.set(n),
          dropped: (reason, n) => metrics.webhookDropped.inc({ reason }, n),
          delivery: (result) => metrics.webhookDeliveries.inc({ result }),
        },
      },
    );
    list.push({ name: 'webhook', sink: webhook });
  }
  return {
    list,
    close: async (deadlineMs) => {
      file?.close();
      if (webhook) {
        // The daemon's deadline is on the monotonic clock; the sink runs on the wall clock.
        await webhook.flush(systemClock.now() + (deadlineMs - monotonicClock.now()));
        webhook.close();
      }
    },
  };
}

function stateHooks(file: string, logger: Logger, metrics: Metrics): NonNullable<ConstructorParameters<typeof Daemon>[1]['state']> {
  return {
    load(store) {
      const result = loadState(file);
      if (result.status === 'loaded') {
        const restored = store.restore(result.rooms);
        logger.info({ file, restored, saved: result.rooms.length, savedAt: new Date(result.savedAtMs).toISOString() }, 'state loaded; it is the baseline for the first poll');
      } else if (result.status === 'missing') {
        logger.info({ file }, 'no saved state; the first poll is the baseline');
      } else {
        logger.warn({ file, reason: result.reason }, 'saved state ignored; the first poll is the baseline');
      }
    },
    async save(store) {
      try {
        await saveState(file, store.save(), systemClock.now());
        metrics.stateSaves.inc({ result: 'success' });
        metrics.stateSaveTime.set(systemClock.now() / 1000);
      } catch (err) {
        metrics.stateSaves.inc({ result: 'failure' });
        logger.error({ err, file }, 'state save failed');
      }
    },
  };
}
