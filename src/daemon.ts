import { setMaxListeners } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Clock, systemClock } from './clock';
import type { Config } from './config/schema';
import { landingPage } from './http/landing-page';
import { HttpServer } from './http/server';
import type { Logger } from './logger';
import { EventSink, RoomPoller } from './polling/room-poller';
import { AdaptiveRate } from './ratelimit/adaptive-rate';
import { SlidingWindowLimiter } from './ratelimit/limiter';
import { MAX_QPS } from './config/schema';
import { roomKey } from './rooms/room-event';
import { RoomStore } from './rooms/room-store';
import { CycleScheduler } from './scheduler/cycle-scheduler';
import { schedulePeriodSeconds, Ticker } from './scheduler/ticker';
import { Metrics } from './sinks/metrics';
import type { RoomRef, RoomUsersApi } from './volc/client';

/** Everything the daemon's lifecycle needs from outside; main builds the real ones, tests pass fakes. */
export interface DaemonDeps {
  logger: Logger;
  /** Wall clock for timestamps (events, success times). */
  clock: Clock;
  /** Monotonic clock for the limiter and durations. */
  monotonic: Clock;
  metrics: Metrics;
  /** Member events go here (fan-out to log, file, webhook). */
  sink: EventSink;
  makeApi(config: Config): RoomUsersApi;
  makeTicker(schedule: string): Ticker;
  /** Read and validate the config file again; throws ConfigError. */
  loadConfig(): Config;
  /** Saved-state hooks (absent when state.file is not configured). */
  state?: { load(store: RoomStore): void; save(store: RoomStore): Promise<void> };
  /** Flush/close the event sinks within a deadline at shutdown. */
  closeSinks(deadlineMs: number): Promise<void>;
  version: string;
}

/**
 * The daemon's lifecycle: start, reload (parse + validate + swap), shutdown. Data flows one way:
 * scheduler → poller (limiter → API) → room store → sinks; metrics read the store at scrape time.
 */
export class Daemon {
  readonly store = new RoomStore();
  private config: Config;
  private rooms: RoomRef[] = [];
  private readonly rate: AdaptiveRate;
  private readonly limiter: SlidingWindowLimiter;
  private readonly poller: RoomPoller;
  private readonly scheduler: CycleScheduler;
  private readonly server: HttpServer;
  private readonly inFlight = new AbortController();
  private periodSeconds: number;
  private ready = false;
  private stateTimer?: NodeJS.Timeout;
  private saving?: Promise<void>;
  private stopping?: Promise<void>;

  constructor(
    config: Config,
    private readonly deps: DaemonDeps,
  ) {
    this.config = config;
    // Every in-flight request and backoff sleep listens on this one signal; more than 10 is normal here.
    setMaxListeners(0, this.inFlight.signal);
    this.periodSeconds = schedulePeriodSeconds(config.schedule);
    this.rate = new AdaptiveRate(config.rateLimit.qps, config.rateLimit.minQps);
    this.limiter = new SlidingWindowLimiter(deps.monotonic, this.rate, MAX_QPS);
    this.poller = new RoomPoller({
      api: deps.makeApi(config),
      limiter: this.limiter,
      rate: this.rate,
      store: this.store,
      sink: deps.sink,
      observer: deps.metrics,
      clock: deps.clock,
      monotonic: deps.monotonic,
      logger: deps.logger,
      retry: retryPolicy(config),
    });
    this.setRooms(config);
    this.scheduler = new CycleScheduler(
      deps.makeTicker(config.schedule),
      () => this.runCycle(),
      {
        cycleDone: (seconds) => {
          deps.metrics.cycleDone(seconds);
          deps.metrics.cycleCompletedAt(deps.clock.now());
        },
        overrun: (n) => deps.metrics.overrun(n),
      },
      deps.monotonic,
      deps.logger,
    );
    this.server = new HttpServer(
      {
        metrics: async () => ({ contentType: deps.metrics.contentType(), body: await deps.metrics.renderSegments() }),
        ready: () => this.ready,
        reload: () => this.reload(),
        landing: () => landingPage({ version: deps.version, rooms: this.rooms.length, ready: this.ready }),
      },
      deps.logger,
    );
  }

  /** Current config (the one in force after the last successful load or reload). */
  currentConfig(): Config {
    return this.config;
  }

  isReady(): boolean {
    return this.ready;
  }

  /** Expected seconds between two polls of one room: the schedule period or, if longer, rooms / qps. */
  pollIntervalSeconds(): number {
    return Math.max(this.periodSeconds, this.rooms.length / this.rate.configuredCap());
  }

  effectiveQps(): number {
    return this.rate.current();
  }

  configuredQps(): number {
    return this.rate.configuredCap();
  }

  async start(): Promise<AddressInfo> {
    this.deps.state?.load(this.store);
    const address = await this.server.listen(this.config.server.host, this.config.server.port);
    this.deps.metrics.reloadOk.set(1);
    this.deps.metrics.reloadTime.set(this.deps.clock.now() / 1000);
    this.scheduler.start(true);
    if (this.deps.state) {
      this.stateTimer = setInterval(() => void this.saveState(), this.config.state.saveIntervalMs);
      this.stateTimer.unref();
    }
    this.deps.logger.info(
      { host: address.address, port: address.port, rooms: this.rooms.length, qps: this.config.rateLimit.qps, schedule: this.config.schedule, endpoint: this.config.api.endpoint },
      'rtc-room-monitor started',
    );
    return address;
  }

  /** Re-read the config; on any problem keep the current one. Resolves with the problem, if any. */
  async reload(): Promise<string | undefined> {
    let next: Config;
    try {
      next = this.deps.loadConfig();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.deps.metrics.reloadOk.set(0);
      this.deps.logger.error({ reason: message }, 'config reload rejected; keeping the previous config');
      return message;
    }
    const prev = this.config;
    this.config = next;
    this.setRooms(next);
    this.rate.setLimits(next.rateLimit.qps, next.rateLimit.minQps);
    this.poller.setRetryPolicy(retryPolicy(next));
    if (JSON.stringify(prev.api) !== JSON.stringify(next.api)) this.poller.setApi(this.deps.makeApi(next));
    if (prev.schedule !== next.schedule) {
      this.periodSeconds = schedulePeriodSeconds(next.schedule);
      this.scheduler.replaceTicker(this.deps.makeTicker(next.schedule));
    }
    const restartOnly = (['server', 'events', 'state', 'shutdown'] as const).filter(
      (k) => JSON.stringify(prev[k]) !== JSON.stringify(next[k]),
    );
    if (restartOnly.length > 0) {
      this.deps.logger.warn({ keys: restartOnly }, 'these config sections change only on restart');
    }
    this.deps.metrics.reloadOk.set(1);
    this.deps.metrics.reloadTime.set(this.deps.clock.now() / 1000);
    this.deps.logger.info({ rooms: this.rooms.length, qps: next.rateLimit.qps, schedule: next.schedule }, 'config reloaded');
    return undefined;
  }

  /**
   * Stop new requests, give in-flight ones until the deadline, then abort them; flush sinks, save state,
   * close the HTTP server. Idempotent.
   */
  shutdown(): Promise<void> {
    this.stopping ??= this.doShutdown();
    return this.stopping;
  }

  private async doShutdown(): Promise<void> {
    const { logger } = this.deps;
    const deadline = this.deps.monotonic.now() + this.config.shutdown.timeoutMs;
    logger.info({ timeoutMs: this.config.shutdown.timeoutMs }, 'shutting down');
    if (this.stateTimer) clearInterval(this.stateTimer);
    this.limiter.close();
    const cycleDone = this.scheduler.stop();
    const timedOut = await Promise.race([
      cycleDone.then(() => false),
      systemClock.sleep(Math.max(0, deadline - this.deps.monotonic.now())).then(() => true),
    ]);
    if (timedOut) {
      logger.warn('in-flight requests did not finish before the shutdown deadline; aborting them');
      this.inFlight.abort();
      await cycleDone;
    }
    await this.deps.closeSinks(Math.max(deadline, this.deps.monotonic.now() + 1000));
    await this.saving; // a periodic save may be under way; then write the final state
    await this.saveState();
    await this.server.close();
    logger.info('stopped');
  }

  private async runCycle(): Promise<void> {
    const rooms = this.rooms;
    // allSettled: even if a poll broke its never-reject promise, the cycle ends only when every poll has.
    await Promise.allSettled(rooms.map((r) => this.poller.poll(r, this.inFlight.signal)));
    if (!this.ready && !this.stopping) {
      this.ready = true;
      this.deps.logger.info({ rooms: rooms.length }, 'first poll cycle complete; ready');
    }
  }

  private setRooms(config: Config): void {
    const { added, removed } = this.store.setRooms(config.rooms);
    this.rooms = config.rooms.map((r) => ({ appId: r.appId, roomId: r.roomId }));
    this.poller.forget(new Set(this.rooms.map((r) => roomKey(r.appId, r.roomId))));
    if (added + removed > 0 && this.rooms.length !== added) {
      this.deps.logger.info({ added, removed }, 'room list changed');
    }
  }

  private async saveState(): Promise<void> {
    const state = this.deps.state;
    if (!state) return;
    if (this.saving) return this.saving; // never overlap saves
    this.saving = state.save(this.store).finally(() => {
      this.saving = undefined;
    });
    return this.saving;
  }
}

function retryPolicy(config: Config): { maxRetries: number; baseDelayMs: number; maxDelayMs: number } {
  return { maxRetries: config.api.maxRetries, baseDelayMs: config.api.retryBaseDelayMs, maxDelayMs: config.api.retryMaxDelayMs };
}
