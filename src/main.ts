import { dirname, resolve } from 'node:path';
import { config as loadDotenv } from 'dotenv';
import { monotonicClock, systemClock } from './clock';
import { ConfigError, loadConfigFile } from './config/load';
import type { Config } from './config/schema';
import { Daemon } from './daemon';
import { createEventLogger, createLogger, Logger, logLevelFromEnv } from './logger';
import type { EventSink } from './polling/room-poller';
import { CronTicker } from './scheduler/ticker';
import { EventFanout } from './sinks/event-fanout';
import { EventFileSink } from './sinks/event-file-sink';
import { EventLogSink } from './sinks/event-log-sink';
import { Metrics } from './sinks/metrics';
import { DiscoveryMetrics } from './sinks/discovery-metrics';
import { WebhookSink } from './sinks/webhook-sink';
import { loadState, saveState } from './state/state-file';
import { packageVersion } from './version';
import { VolcClient } from './volc/client';
import { accountCredentials } from './accounts/account-credentials';
import { accountSettings } from './accounts/account-settings';

export const ENV_WEBHOOK_SECRET = 'RTC_WEBHOOK_SECRET';

/**
 * Wiring only: load the environment and config, build the real objects, connect them, handle signals.
 * Resolves with the process exit code once the daemon has stopped (or failed to start).
 */
export async function runDaemon(configPath: string): Promise<number> {
  // Real environment wins over .env (dotenv never overrides a variable that is already set).
  loadDotenv({ quiet: true });

  let config: Config;
  let logger: Logger;
  try {
    logger = createLogger(logLevelFromEnv(process.env));
    config = loadConfigFile(configPath);
    // Every account's key pair must be there before anything starts; the error names the variables.
    accountCredentials(accountSettings(config), process.env);
  } catch (err) {
    process.stderr.write(`${err instanceof ConfigError ? err.message : `error: ${(err as Error).message}`}\n`);
    return 2;
  }

  const version = packageVersion();
  // The metrics read live values from the daemon built below; they are only read at scrape time, after it exists.
  const metrics = new Metrics({
    rooms: () => daemon.store.views(),
    roomCount: () => daemon.registry.activeCount(),
    rates: () => daemon.rates(),
    pollIntervalSeconds: () => daemon.pollIntervalSeconds(),
    version,
  });

  const discoveryMetrics = new DiscoveryMetrics(metrics.registry, {
    rooms: () => daemon.registry.rooms(),
    retiredTotal: () => daemon.registry.retiredTotal(),
  });
  metrics.addTextFamilies(() => discoveryMetrics.renderRoomInfo());

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
    discoveryObserver: discoveryMetrics,
    configDir: dirname(resolve(configPath)),
    sink: new EventFanout(
      sinks.list,
      (events) => metrics.eventsEmitted(events),
      (name, err) => {
        metrics.sinkError(name);
        logger.error({ sink: name, err }, 'event sink failed');
      },
    ),
    makeApi: (account) => {
      // Read per client, so a reload that points an account at other variables takes them (or is refused).
      const credentials = accountCredentials([account], process.env).get(account.name)!;
      const { endpoint, region, service, version, listRoomInfoVersion, timeoutMs } = account.api;
      return new VolcClient({ endpoint, region, service, version, listRoomInfoVersion, timeoutMs, credentials }, metrics.forAccount(account.name));
    },
    makeTicker: (schedule) => new CronTicker(schedule, logger),
    loadConfig: () => loadConfigFile(configPath),
    state: config.state.file ? stateHooks(config.state.file, logger, metrics) : undefined,
    closeSinks: sinks.close,
    version,
  });

  const stopped = new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      // A second Ctrl-C must not kill the process halfway through flushing events and saving state.
      if (stopping) return void logger.warn({ signal }, 'already shutting down');
      stopping = true;
      logger.info({ signal }, 'signal received');
      daemon.shutdown().then(
        () => resolve(0),
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
