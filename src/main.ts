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
import { LogDelivery } from './sinks/log-delivery';
import { WebhookSink } from './sinks/webhook-sink';
import { openStore } from './store/open-store';
import type { StateStore } from './store/store';
import { ForeignFileError } from './store/store-file';
import { packageVersion } from './version';
import { VolcClient } from './volc/client';
import { Credentials, credentialsFromEnv } from './volc/credentials';

export const ENV_WEBHOOK_SECRET = 'RTC_WEBHOOK_SECRET';

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
  // The metrics read live values from the daemon built below; they are only read at scrape time, after it exists.
  const metrics = new Metrics({
    rooms: () => daemon.store.views(),
    roomCount: () => daemon.store.size(),
    configuredQps: () => daemon.configuredQps(),
    effectiveQps: () => daemon.effectiveQps(),
    pollIntervalSeconds: () => daemon.pollIntervalSeconds(),
    version,
  });

  let state: StateStore;
  try {
    const opened = openStore(config.state);
    state = opened.store;
    if (opened.movedAside) {
      metrics.stateCorrupt.inc();
      logger.error({ file: opened.movedAside.from, movedTo: opened.movedAside.to, reason: opened.movedAside.reason }, 'STATE DATABASE DAMAGED: moved aside; starting from a fresh baseline (changes while the daemon was down are not reported)');
    }
  } catch (err) {
    process.stderr.write(`${err instanceof ForeignFileError ? err.message : `state.file: cannot open ${config.state.file}: ${(err as Error).message}`}\n`);
    return 2;
  }

  let sinks: Awaited<ReturnType<typeof buildSinks>>;
  try {
    sinks = await buildSinks(config, logger, metrics, state);
  } catch (err) {
    process.stderr.write(`events.file: cannot open ${config.events.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n`);
    await state.close();
    return 2;
  }
  const daemon: Daemon = new Daemon(config, {
    logger,
    clock: systemClock,
    monotonic: monotonicClock,
    metrics,
    sink: new EventFanout(
      sinks.list,
      (events) => metrics.eventsEmitted(events),
      (name, err) => {
        metrics.sinkError(name);
        logger.error({ sink: name, err }, 'event sink failed');
      },
    ),
    makeApi: (cfg) =>
      new VolcClient(
        { endpoint: cfg.api.endpoint, region: cfg.api.region, service: cfg.api.service, version: cfg.api.version, timeoutMs: cfg.api.timeoutMs, credentials },
        metrics,
      ),
    makeTicker: (schedule) => new CronTicker(schedule, logger),
    loadConfig: () => loadConfigFile(configPath),
    state,
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

async function buildSinks(
  config: Config,
  logger: Logger,
  metrics: Metrics,
  store: StateStore,
): Promise<{ list: { name: string; sink: EventSink }[]; close: (deadlineMs: number) => Promise<void> }> {
  // The log sink writes each event as it is committed; file and webhook deliver from the committed log.
  const list: { name: string; sink: EventSink }[] = [];
  if (config.events.log) list.push({ name: 'log', sink: new EventLogSink(createEventLogger()) });
  const observer = (sink: string): ConstructorParameters<typeof LogDelivery>[3] => {
    return { clock: systemClock, logger, observer: { lost: (n) => metrics.sinkLost.inc({ sink }, n), backlog: (n) => metrics.sinkBacklog.set({ sink }, n), failed: () => metrics.sinkError(sink) } };
  };
  // The daemon's deadline is on the monotonic clock; the sinks run on the wall clock.
  const wall = (deadlineMs: number): number => systemClock.now() + (deadlineMs - monotonicClock.now());

  let file: { sink: EventFileSink; delivery: LogDelivery } | undefined;
  if (config.events.file) {
    const sink = new EventFileSink(config.events.file);
    const delivery = new LogDelivery(store, sink, { name: 'file', batch: 1000, ackOnAccept: true }, observer('file'));
    const written = sink.lastWrittenId();
    const lastId = await store.lastEventId();
    if (written !== undefined && written > lastId) {
      // A fresh store (memory-only, or a damaged database moved aside) would start its ids below the file's.
      logger.warn({ file: config.events.file, fileLastId: written, storeLastId: lastId }, 'the events file is ahead of the store (new or replaced store); its ids continue after the file\'s');
      await store.continueIdsAfter(written);
    }
    await delivery.start(written);
    file = { sink, delivery };
  }
  let webhook: { sink: WebhookSink; delivery: LogDelivery } | undefined;
  const hook = config.events.webhook;
  if (hook) {
    // The sink acks into its delivery, which is built around the sink: a late-bound reference.
    const late: { delivery?: LogDelivery } = {};
    const sink = new WebhookSink(
      { ...hook, secret: process.env[ENV_WEBHOOK_SECRET] || hook.secret },
      {
        clock: systemClock,
        logger,
        observer: {
          queueLength: (n) => metrics.webhookQueue.set(n),
          dropped: (reason, n) => metrics.webhookDropped.inc({ reason }, n),
          delivery: (result) => metrics.webhookDeliveries.inc({ result }),
        },
        onDelivered: (id) => {
          late.delivery?.ack(id);
          late.delivery?.wake();
        },
      },
    );
    const delivery = new LogDelivery(store, sink, { name: 'webhook', batch: hook.batchSize, ackOnAccept: false }, observer('webhook'));
    late.delivery = delivery;
    await delivery.start();
    webhook = { sink, delivery };
  }
  return {
    list,
    close: async (deadlineMs) => {
      const deadline = wall(deadlineMs);
      if (file) {
        await file.delivery.drain(deadline);
        await file.delivery.stop();
        file.sink.close();
      }
      if (webhook) {
        const { sink, delivery } = webhook;
        let drained = false;
        const done = delivery.drain(deadline).then(() => void (drained = true));
        // Send partial batches at once instead of waiting for flushIntervalMs; the last chance is now.
        // flush() returns at once on an empty queue; the sleep keeps this loop from spinning.
        while (!drained && systemClock.now() < deadline) await Promise.race([done, Promise.all([sink.flush(deadline), systemClock.sleep(50)])]);
        await done;
        await delivery.stop();
        sink.close();
      }
    },
  };
}
