import { dirname, resolve } from 'node:path';
import { config as loadDotenv } from 'dotenv';
import { monotonicClock, systemClock } from './clock';
import { chooseDeployment } from './cluster/deployment';
import { LeaderGatedTarget } from './cluster/leader-delivery';
import { IdFloor, SEEN_IDS_INTERVAL_MS, SEEN_IDS_SETTLE_MS } from './cluster/id-floor';
import type { Leadership } from './cluster/leadership';
import type { SeenIds } from './cluster/seen-ids';
import { loadConfigWithCa } from './config/ca-file';
import { ConfigError } from './config/load';
import type { Config } from './config/schema';
import { Daemon } from './daemon';
import { SecureEndpoint } from './http/secure-server';
import { LoadedWebConfig, loadWebConfigFile } from './http/web-config-file';
import { WebConfigWatcher } from './http/web-config-watcher';
import { createEventLogger, createLogger, Logger } from './logger';
import type { EventSink } from './polling/room-poller';
import { preflight } from './preflight';
import { CronTicker, schedulePeriodSeconds } from './scheduler/ticker';
import { EventFanout } from './sinks/event-fanout';
import { EventFileSink } from './sinks/event-file-sink';
import { EventLogSink } from './sinks/event-log-sink';
import { ClusterMetrics } from './sinks/cluster-metrics';
import { Metrics } from './sinks/metrics';
import { DiscoveryMetrics } from './sinks/discovery-metrics';
import { PollingMetrics } from './sinks/polling-metrics';
import { EMPTY_PIECE } from './sinks/room-metrics';
import { LogDelivery } from './sinks/log-delivery';
import { WebhookSink } from './sinks/webhook-sink';
import { daemonStatus, discoveryStatus } from './status/daemon-status';
import { DiscoveryHealth } from './status/discovery-health';
import { RoomsWithMeta } from './status/room-meta';
import { FeedFollower } from './status/feed-follower';
import { MemoryEventFeed } from './status/memory-event-feed';
import { StatusPage } from './status/status-page';
import type { StateStore } from './store/store';
import { packageVersion } from './version';
import { VolcClient } from './volc/client';
import { accountCredentials } from './accounts/account-credentials';
import { accountSettings } from './accounts/account-settings';
import { YoungGenerationCap, v8Heap, wanted } from './young-generation';
import { ApiAgentCache, idleTimeoutFor } from './volc/http-agent';

export const ENV_WEBHOOK_SECRET = 'RTC_WEBHOOK_SECRET';
export const ENV_REDIS_PASSWORD = 'RTC_REDIS_PASSWORD';

/** Command-line options of `run` beyond the config file. */
export interface RunOptions {
  /** --web.config.file: TLS, basic auth and headers for the endpoint. */
  webConfigFile?: string;
  /** --web.enable-lifecycle: allow POST /-/reload. */
  enableLifecycle?: boolean;
}

/** Newest events the status page's live feed keeps in memory. */
const STATUS_FEED_EVENTS = 10_000;

/** How often the web config and the certificates it names are re-read, besides watching its directory. */
const WEB_CONFIG_RECHECK_MS = 10_000;

/**
 * Wiring only: load the environment and config, build the real objects, connect them, handle signals.
 * Resolves with the process exit code once the daemon has stopped (or failed to start).
 */
export async function runDaemon(configPath: string, options: RunOptions = {}): Promise<number> {
  // Real environment wins over .env (dotenv never overrides a variable that is already set).
  loadDotenv({ quiet: true });

  let config: Config;
  let logger: Logger;
  let web: LoadedWebConfig | undefined;
  let callbackSecrets: ReturnType<typeof preflight>['callbackSecrets'];
  // The CA bundle read with each config (start and every reload), looked up when the API client is built.
  const caOf = new WeakMap<Config['api'], string>();
  try {
    const checked = preflight(configPath, process.env);
    logger = createLogger(checked.logLevel);
    config = checked.config;
    callbackSecrets = checked.callbackSecrets;
    for (const [api, pem] of checked.cas) caOf.set(api, pem);
    web = options.webConfigFile ? loadWebConfigFile(options.webConfigFile) : undefined;
  } catch (err) {
    process.stderr.write(`${err instanceof ConfigError ? err.message : `error: ${(err as Error).message}`}\n`);
    return 2;
  }

  const version = packageVersion();
  // One process, replicas with their own stores, or replicas sharing Redis: decided once (deployment.ts).
  const deployment = chooseDeployment(config, { redisPassword: process.env[ENV_REDIS_PASSWORD] || undefined, logger, monotonic: monotonicClock });
  const { leadership, cluster } = deployment;
  // The metrics read live values from the daemon built below; they are only read at scrape time, after it exists.
  const metrics = new Metrics({
    // Only the replica that holds the room state exports it, so sum() across replicas does not double.
    rooms: () => (leadership.ownsRoomSeries() ? daemon.store.views() : []),
    roomCount: () => daemon.registry.activeCount(),
    rates: () => daemon.rates(),
    pollIntervalSeconds: () => daemon.pollIntervalSeconds(),
    version,
  });

  const clusterMetrics = cluster
    ? new ClusterMetrics(metrics.registry, { leader: () => cluster.lease.isLeader(), token: () => cluster.lease.lastToken(), acquisitions: () => cluster.lease.acquisitions(), redisUp: () => cluster.lease.redisUp() })
    : undefined;

  const endpoint = new SecureEndpoint(web, { logger, clock: monotonicClock, observer: { refused: (reason) => metrics.httpRefused.inc({ reason }) } });
  // The vendor signs its callbacks and can send neither a password nor a client certificate.
  if (config.callbacks) endpoint.setOpenPaths([config.callbacks.path]);
  // Cluster mode: a standby stores the callbacks it receives in Redis for the leader to apply.
  const callbacks =
    config.callbacks && callbackSecrets ? { secrets: callbackSecrets, observer: metrics.enableCallbacks(accountSettings(config).map((a) => a.name)), inbox: cluster?.makeCallbackInbox() } : undefined;
  metrics.webConfigOk.set(1);
  metrics.webConfigTime.set(systemClock.now() / 1000);
  const webWatcher =
    web &&
    new WebConfigWatcher(web.file, web, {
      load: loadWebConfigFile,
      apply: (next) => {
        endpoint.apply(next);
        for (const warning of endpoint.warnings()) logger.warn({ webConfig: next.file }, warning);
      },
      observer: {
        reloaded: (ok) => {
          metrics.webConfigOk.set(ok ? 1 : 0);
          if (ok) metrics.webConfigTime.set(systemClock.now() / 1000);
        },
      },
      logger,
      intervalMs: WEB_CONFIG_RECHECK_MS,
    });

  const agentCache = new ApiAgentCache();
  // The schedule of the config in force, for the keep-alive pools' idle timeout (outliving the period).
  let schedule = config.schedule;
  const discoveryMetrics = new DiscoveryMetrics(metrics.registry, {
    rooms: () => daemon.registry.rooms(),
    retiredTotal: () => daemon.registry.retiredTotal(),
    version: () => daemon.registry.version(),
  });
  // Like the room series, rtc_room_info comes only from the replica that owns the rooms (no duplicate joins).
  metrics.addTextFamilies(() => (leadership.ownsRoomSeries() ? discoveryMetrics.roomInfoPiece() : EMPTY_PIECE));
  const pollingMetrics = new PollingMetrics(metrics.registry, {
    strategy: () => daemon.strategy(),
    rooms: () => daemon.store.views(),
    intervalOf: (appId, roomId) => daemon.roomPlan(appId, roomId)?.intervalSeconds,
  });
  metrics.addTextFamilies(() => (leadership.ownsRoomSeries() ? pollingMetrics.intervalsPiece() : EMPTY_PIECE));

  let state: StateStore;
  try {
    const opened = await deployment.openState({ uncommitted: (n) => clusterMetrics?.uncommitted(n) });
    state = opened.store;
    if (opened.movedAside) {
      metrics.stateCorrupt.inc();
      logger.error({ file: opened.movedAside.from, movedTo: opened.movedAside.to, reason: opened.movedAside.reason }, 'STATE DATABASE DAMAGED: moved aside; starting from a fresh baseline (changes while the daemon was down are not reported)');
    }
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    await cluster?.close();
    return 2;
  }

  let sinks: Awaited<ReturnType<typeof buildSinks>>;
  try {
    // Shared store: the webhook runs on the leader only, from the cursor in Redis.
    sinks = await buildSinks(config, logger, metrics, state, leadership, deployment.webhookLeader, deployment.seenIds);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // An events file that cannot be opened is the usual cause; a store read (a sink's cursor) the other.
    process.stderr.write(code && config.events.file ? `events.file: cannot open ${config.events.file}: ${code}\n` : `event sinks: cannot start: ${(err as Error).message}\n`);
    await state.close();
    return 2;
  }
  // The status page's live feed: the log's newest events, pre-filled from the store so a browser resumes
  // by id across a restart.
  const feed = new MemoryEventFeed(STATUS_FEED_EVENTS);
  feed.prefill(await state.readEvents(Math.max(0, (await state.lastEventId()) - STATUS_FEED_EVENTS), STATUS_FEED_EVENTS));
  sinks.list.push({ name: 'status', sink: feed });
  // A standby commits nothing, so nothing reaches its feed through the sinks; with the shared store it
  // can show the leader's events from the stream instead.
  const feedFollower = deployment.kind === 'replicas-shared-store' ? new FeedFollower(state, feed, { active: () => !leadership.isLeader(), clock: systemClock, logger }) : undefined;
  const startMs = systemClock.now();
  const discoveryHealth = new DiscoveryHealth(discoveryMetrics);
  const withMeta = new RoomsWithMeta((appId, roomId) => {
    const r = daemon.registry.get(appId, roomId);
    return r && { account: r.account, sources: r.sources };
  }, (appId, roomId) => daemon.roomPlan(appId, roomId));
  const status = new StatusPage({
    rooms: { rooms: () => withMeta.rooms(daemon.store.views()), room: (appId, roomId) => withMeta.of(daemon.store.get(appId, roomId)) },
    counts: { forEachRoom: (visit) => daemon.store.forEachRoom(visit), roomSetVersion: () => daemon.store.roomSetVersion(), hasRoom: (key) => daemon.store.hasRoom(key) },
    feed,
    status: () =>
      daemonStatus({
        version,
        startMs,
        isReady: () => daemon.isReady(),
        roomCount: () => daemon.registry.activeCount(),
        role: () => (cluster ? (leadership.isLeader() ? 'leader' : 'standby') : 'single'),
        accounts: () => daemon.accountStatus(),
        discovery: () => discoveryStatus(daemon.registry.rooms(), discoveryHealth.snapshot()),
        pollIntervalSeconds: () => daemon.pollIntervalSeconds(),
        cycleSummary: () => metrics.cycleSummary(),
        latestEventId: () => feed.latestId(),
      }),
    clock: systemClock,
    logger,
  });
  const daemon: Daemon = new Daemon(config, {
    logger,
    clock: systemClock,
    monotonic: monotonicClock,
    metrics,
    discoveryObserver: discoveryHealth,
    configDir: dirname(resolve(configPath)),
    sink: deployment.gateSink(
      new EventFanout(
        sinks.list,
        (events) => metrics.eventsEmitted(events),
        (name, err) => {
          metrics.sinkError(name);
          logger.error({ sink: name, err }, 'event sink failed');
        },
      ),
      (events) => clusterMetrics?.withheld(events),
    ),
    makeApi: (account) => {
      // Read per client, so a reload that points an account at other variables takes them (or is refused).
      const credentials = accountCredentials([account], process.env).get(account.name)!;
      const { endpoint, region, service, version, listRoomInfoVersion, timeoutMs } = account.api;
      // One keep-alive pool for the life of the process (new only when the CA or the period changes).
      const agents = agentCache.get({ ca: caOf.get(account.api), idleTimeoutMs: idleTimeoutFor(schedulePeriodSeconds(schedule)) });
      return new VolcClient({ endpoint, region, service, version, listRoomInfoVersion, timeoutMs, credentials, agents }, metrics.forAccount(account.name));
    },
    makeTicker: (schedule) => new CronTicker(schedule, logger),
    loadConfig: () => {
      const loaded = loadConfigWithCa(configPath);
      for (const [api, pem] of loaded.cas) caOf.set(api, pem);
      schedule = loaded.config.schedule;
      return loaded.config;
    },
    state,
    closeSinks: sinks.close,
    takeover: sinks.takeover,
    leaderBaseline: deployment.leaderBaseline,
    version,
    http: { endpoint, enableLifecycle: options.enableLifecycle === true },
    routes: (req, res, path) => status.handle(req, res, path),
    leadership,
    callbacks,
    // The limiters belong to the access key id (read at start and on every reload), not to the account.
    limiterKey: (account) => accountCredentials([account], process.env).get(account.name)!.accessKeyId,
    makeLimiter: cluster ? (rate, accessKeyId, action) => cluster.makeLimiter(rate, accessKeyId, action) : undefined,
  });

  const stopped = new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      // A second Ctrl-C must not kill the process halfway through flushing events and saving state.
      if (stopping) return void logger.warn({ signal }, 'already shutting down');
      stopping = true;
      logger.info({ signal }, 'signal received');
      webWatcher?.close();
      status.close(); // end the live streams, which would otherwise hold the HTTP server open
      // The follower first: its reads must not race the store closing.
      (feedFollower?.stop() ?? Promise.resolve()).then(() => daemon.shutdown()).then(
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
  process.on('SIGHUP', () => {
    webWatcher?.check();
    daemon.reload().catch((err: unknown) => logger.error({ err }, 'config reload failed unexpectedly'));
  });

  // Process-wide, so here rather than in the Daemon: the young generation's size is V8's (young-generation.ts).
  const youngGeneration = wanted(process.execArgv, process.env.NODE_OPTIONS) ? new YoungGenerationCap(v8Heap) : undefined;
  youngGeneration?.start();
  void stopped.finally(() => youngGeneration?.stop());

  try {
    await daemon.start();
    logger.info(endpoint.describe(), endpoint.tlsEnabled ? 'serving HTTPS' : 'serving HTTP');
    for (const warning of endpoint.warnings()) logger.warn({ webConfig: options.webConfigFile }, warning);
    webWatcher?.start();
    status.start();
    feedFollower?.start();
  } catch (err) {
    logger.error({ err, host: config.server.host, port: config.server.port }, 'cannot start');
    youngGeneration?.stop();
    return 1;
  }
  return stopped;
}

async function buildSinks(
  config: Config,
  logger: Logger,
  metrics: Metrics,
  store: StateStore,
  leadership: Leadership,
  webhookLeader?: Leadership,
  seenIds?: SeenIds,
): Promise<{ list: { name: string; sink: EventSink }[]; close: (deadlineMs: number) => Promise<void>; takeover: (token: number) => Promise<void> }> {
  // The log sink writes each event as it is committed; file and webhook deliver from the committed log.
  const list: { name: string; sink: EventSink }[] = [];
  if (config.events.log) list.push({ name: 'log', sink: new EventLogSink(createEventLogger()) });
  const observer = (sink: string): ConstructorParameters<typeof LogDelivery>[3] => {
    return { clock: systemClock, logger, fence: () => leadership.token(), observer: { lost: (n) => metrics.sinkLost.inc({ sink }, n), backlog: (n) => metrics.sinkBacklog.set({ sink }, n), failed: () => metrics.sinkError(sink) } };
  };
  // The daemon's deadline is on the monotonic clock; the sinks run on the wall clock.
  const wall = (deadlineMs: number): number => systemClock.now() + (deadlineMs - monotonicClock.now());

  let file: { sink: EventFileSink; delivery: LogDelivery } | undefined;
  let webhook: { sink: WebhookSink; delivery: LogDelivery } | undefined;
  if (config.events.file) {
    const sink = new EventFileSink(config.events.file);
    const delivery = new LogDelivery(store, sink, { name: 'file', batch: 1000, ackOnAccept: true }, observer('file'));
    await delivery.start(sink.lastWrittenId());
    file = { sink, delivery };
  }
  // Before a leader's first commit of a term (Daemon): a fresh store (memory-only, a damaged database moved
  // aside, a Redis that lost its data) would start its ids below what consumers have seen: the events
  // file's last id, or the last id this process handed to the webhook; with a shared log, every replica's
  // (idFloor). A write, so fenced.
  const ownSeen = (): number => Math.max(file?.sink.lastWrittenId() ?? 0, file?.delivery.position().read ?? 0, webhook?.delivery.position().read ?? 0);
  const idFloor = seenIds && new IdFloor({ board: seenIds, seen: ownSeen, store, fence: () => leadership.token(), clock: systemClock, logger, intervalMs: SEEN_IDS_INTERVAL_MS, settleMs: SEEN_IDS_SETTLE_MS });
  const takeover = async (token: number): Promise<void> => {
    const seen = idFloor ? await idFloor.floorForTerm() : ownSeen();
    const lastId = await store.lastEventId();
    if (seen <= lastId) return;
    logger.warn({ file: config.events.file, seenLastId: seen, storeLastId: lastId }, 'the store is behind the ids consumers have seen (new, replaced or lost store); its ids continue after them');
    await store.continueIdsAfter(seen, token);
  };
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
        // A shared cursor: only the leader sends, checked at each POST (the lease deadline included).
        ...(webhookLeader ? { mayPost: () => webhookLeader.isLeader() } : {}),
      },
    );
    const gated = webhookLeader && new LeaderGatedTarget(sink, webhookLeader, systemClock);
    const delivery = new LogDelivery(store, gated ?? sink, { name: 'webhook', batch: hook.batchSize, ackOnAccept: false }, observer('webhook'));
    gated?.follow(() => delivery.resync(), logger, 'webhook');
    late.delivery = delivery;
    await delivery.start();
    webhook = { sink, delivery };
  }
  idFloor?.start();
  return {
    list,
    takeover,
    close: async (deadlineMs) => {
      const deadline = wall(deadlineMs);
      await idFloor?.stop();
      if (file) {
        await file.delivery.drain(deadline);
        await file.delivery.stop();
        file.sink.close();
      }
      // A gated webhook off the leader (a standby, or a leader that just handed the lease over) leaves what
      // is not acknowledged to the next leader, which resumes from the shared cursor.
      if (webhook && webhookLeader && !webhookLeader.isLeader()) {
        await webhook.delivery.stop();
        webhook.sink.close();
      } else if (webhook) {
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
