import { setMaxListeners } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Clock, systemClock } from './clock';
import type { Config } from './config/schema';
import { HttpHandlers, HttpServer, HttpServerOptions } from './http/server';
import type { Logger } from './logger';
import { EventSink, RoomPoller } from './polling/room-poller';
import { AccountPool } from './accounts/account-pool';
import { AccountSettings, accountSettings, resolveAccount } from './accounts/account-settings';
import { eventsApi } from './http/events-api';
import { RoomStore } from './store/room-store';
import type { StateStore } from './store/store';
import { AlwaysLeader, Leadership } from './cluster/leadership';
import type { LimiterFactory } from './accounts/account-pool';
import { CycleScheduler } from './scheduler/cycle-scheduler';
import { RoomRegistry } from './discovery/room-registry';
import { PollCycle } from './polling/poll-cycle';
import { DiscoveryManager } from './discovery/discovery-manager';
import type { DiscoveryObserver } from './discovery/discovery-observer';
import { schedulePeriodSeconds, Ticker } from './scheduler/ticker';
import type { DuePump } from './scheduler/due-pump';
import { wireDuePump } from './scheduler/pump-wiring';
import { Metrics } from './sinks/metrics';
import type { AccountApi } from './volc/account-api';
import { CallbackService } from './callbacks/callback-service';
import type { CallbackSecrets } from './callbacks/callback-secrets';
import type { CallbackObserver } from './callbacks/callback-receiver';
import type { CallbackInbox } from './callbacks/callback-inbox';


/** Everything the daemon's lifecycle needs from outside; main builds the real ones, tests pass fakes. */
export interface DaemonDeps {
  logger: Logger;
  /** Wall clock for timestamps (events, success times). */
  clock: Clock;
  /** Monotonic clock for the limiter and durations. */
  monotonic: Clock;
  metrics: Metrics;
  /** Discovery request and pass outcomes (metrics). */
  discoveryObserver: DiscoveryObserver;
  /** Directory of the config file: relative discovery.files globs start here (default: the cwd). */
  configDir?: string;
  /** Member events go here (fan-out to log, file, webhook). */
  sink: EventSink;
  /** The vendor API client of one account. */
  makeApi(account: AccountSettings): AccountApi;
  makeTicker(schedule: string): Ticker;
  /** Read and validate the config file again; throws ConfigError. */
  loadConfig(): Config;
  /** The durable store (membership + event log); opened by main, closed here at shutdown. */
  state: StateStore;
  /** Flush/close the event sinks within a deadline at shutdown. */
  closeSinks(deadlineMs: number): Promise<void>;
  version: string;
  /** TLS / auth endpoint and the lifecycle flag from the command line (limits come from config.server). */
  http?: Omit<HttpServerOptions, 'limits'>;
  /** Extra HTTP routes (the status page); see HttpHandlers.routes. */
  routes?: HttpHandlers['routes'];
  /** Polls run only while this says so; default: a single process, always the leader. */
  leadership?: Leadership;
  /** The shared limiters (cluster mode: in Redis); default: in-process sliding windows. */
  makeLimiter?: LimiterFactory;
  /** With `callbacks` configured: the secrets (checked by preflight) and the receiver's metrics. */
  callbacks?: { secrets: CallbackSecrets; observer: CallbackObserver; inbox?: CallbackInbox };
  /** The access key id of an account: its limiters belong to the key (AccountPoolDeps.limiterKey). */
  limiterKey?(account: AccountSettings): string;
  /**
   * Fenced writes a leader makes once per term before its first poll (ids continue after the events
   * file's). A failure skips the cycle; the next one tries again.
   */
  takeover?: (token: number) => Promise<void>;
  /**
   * Where a new leader's baselines come from: `committed` (default; the store is shared, or this is the
   * only process) or `empty` (replicas with their own stores: a re-elected replica's store is stale, so
   * it starts from a fresh baseline without events). Chosen by the deployment (cluster/deployment.ts).
   */
  leaderBaseline?: 'committed' | 'empty';
}

/**
 * The daemon's lifecycle: start, reload (parse + validate + swap), shutdown. Data flows one way:
 * scheduler → poller (limiter → API) → room store → sinks; metrics read the store at scrape time.
 */
export class Daemon {
  readonly store: RoomStore;
  private config: Config;
  /** The set of rooms to poll: fixed rooms and every discovery source write here. */
  readonly registry: RoomRegistry;
  private readonly accounts: AccountPool;
  private readonly cycle: PollCycle;
  private readonly discovery: DiscoveryManager;
  private readonly leadership: Leadership;
  private readonly scheduler: CycleScheduler;
  /** polling.strategy adaptive: the due-time pump polls instead of the cycle scheduler (restart to change). */
  private readonly pump?: DuePump;
  /** A takeover the pump is waiting for (termPrepared). */
  private preparing?: Promise<boolean>;
  /**
   * Active rooms per rate (an access key's: accounts on one key share it), kept while the registry's
   * version stays; a reload that moves an account to another key drops it.
   */
  private perRate?: { version: number; counts: Map<{ configuredCap(): number } | undefined, number> };
  private readonly server: HttpServer;
  /** The vendor callbacks' receiver and confirm polls, while `callbacks` is configured. */
  private readonly callbacks?: CallbackService;
  private readonly inFlight = new AbortController();
  private periodSeconds: number;
  private readonly shutdownTimeoutMs: number;
  private ready = false;
  private stopping?: Promise<void>;
  /** The fencing token of the term whose takeover has run. */
  private preparedTerm?: number;

  constructor(
    config: Config,
    private readonly deps: DaemonDeps,
  ) {
    this.config = config;
    // Like server, events and state, the shutdown deadline changes only on restart (a reload says so).
    this.shutdownTimeoutMs = config.shutdown.timeoutMs;
    this.store = new RoomStore(deps.state, () => this.leadership.token(), config.callbacks && { graceMs: config.callbacks.reconcileGraceMs });
    // Every in-flight request and backoff sleep listens on this one signal; more than 10 is normal here.
    setMaxListeners(0, this.inFlight.signal);
    this.periodSeconds = schedulePeriodSeconds(config.schedule);
    this.leadership = deps.leadership ?? new AlwaysLeader();
    this.accounts = new AccountPool(accountSettings(config), {
      makeLimiter: deps.makeLimiter,
      limiterKey: deps.limiterKey,
      monotonic: deps.monotonic,
      makeApi: (account) => deps.makeApi(account),
      makePoller: (account, parts) =>
        new RoomPoller({
          ...parts,
          store: this.store,
          sink: deps.sink,
          observer: deps.metrics.forAccount(account),
          clock: deps.clock,
          monotonic: deps.monotonic,
          logger: deps.logger.child({ account }),
        }),
      listQps: () => this.config.discovery.listRoomInfo?.qps ?? 1,
      sharedKey: (accounts, qps) => deps.logger.warn({ accounts, qps }, 'these accounts use one access key and share its limiter at the lowest of their rateLimit.qps'),
    });
    this.registry = new RoomRegistry(config.discovery.retireAfterSeconds * 1000);
    this.cycle = new PollCycle({
      registry: this.registry,
      store: this.store,
      pollerOf: (account) => this.accounts.get(account)?.poller,
      pollers: () => this.accounts.all().map((b) => b.poller),
      clock: deps.clock,
      logger: deps.logger,
    });
    this.discovery = new DiscoveryManager({
      registry: this.registry,
      observer: deps.discoveryObserver,
      clock: deps.clock,
      logger: deps.logger,
      account: (name) => {
        const b = this.accounts.get(name);
        return b && { api: b.api, listLimiter: b.listLimiter };
      },
      configDir: deps.configDir ?? process.cwd(),
    });
    this.setRooms(config);
    if (config.callbacks && deps.callbacks) {
      this.callbacks = new CallbackService({
        config: config.callbacks,
        defaultAccount: resolveAccount(config, undefined),
        secrets: deps.callbacks.secrets,
        observer: deps.callbacks.observer,
        store: this.store,
        state: deps.state,
        registry: this.registry,
        sync: () => this.cycle.sync(),
        accounts: {
          poll: async (account, ref, signal) => (await this.accounts.get(account)?.poller.poll(ref, signal, { front: true })) ?? false,
          backlog: (account) => this.accounts.get(account)?.limiter.pending() ?? 0,
          rate: (account) => this.accounts.get(account)?.rate.current() ?? 1,
        },
        isLeader: () => this.leadership.isLeader(),
        token: () => this.leadership.token(),
        inbox: deps.callbacks.inbox,
        sink: deps.sink,
        clock: deps.clock,
        logger: deps.logger.child({ component: 'callbacks' }),
      });
    }
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
      () => this.mayPoll(),
    );
    if (config.polling.strategy === 'adaptive') {
      this.pump = wireDuePump({
        registry: this.registry,
        store: this.store,
        cycle: this.cycle,
        accounts: this.accounts,
        polling: () => this.config.polling,
        periodSeconds: () => this.periodSeconds,
        observer: {
          // A sweep stands in for a cycle (sweep-tracker.ts), readiness included.
          sweepDone: (seconds) => {
            deps.metrics.cycleDone(seconds);
            deps.metrics.cycleCompletedAt(deps.clock.now());
            this.markReady(this.registry.activeCount());
          },
          late: () => deps.metrics.overrun(1),
        },
        clock: deps.clock,
        monotonic: deps.monotonic,
        logger: deps.logger,
        gate: () => this.mayPoll() && this.termPrepared(),
        signal: this.inFlight.signal,
      });
    }
    this.server = new HttpServer(
      {
        metrics: async () => ({ contentType: deps.metrics.contentType(), body: await deps.metrics.renderSegments() }),
        ready: () => this.ready,
        reload: () => this.reload(),
        routes: deps.routes,
        events: (query) => eventsApi(deps.state, query),
        callback: this.callbacks,
      },
      deps.logger,
      { ...deps.http, limits: config.server },
    );
  }

  /** Current config (the one in force after the last successful load or reload). */
  currentConfig(): Config {
    return this.config;
  }

  isReady(): boolean {
    return this.ready;
  }

  /**
   * Expected seconds between two polls of one room: the schedule period or, if longer, the slowest
   * access key's rooms / qps (keys are polled in parallel).
   */
  pollIntervalSeconds(): number {
    let slowest = 0;
    for (const [rate, n] of this.roomsPerRate()) slowest = Math.max(slowest, n / (rate?.configuredCap() ?? 1));
    return Math.max(this.periodSeconds, slowest);
  }

  /** Active rooms per access key's rate (accounts on one key share it). */
  private roomsPerRate(): Map<{ configuredCap(): number } | undefined, number> {
    const version = this.registry.version();
    if (this.perRate?.version !== version) {
      const counts = new Map<{ configuredCap(): number } | undefined, number>();
      for (const r of this.registry.active()) {
        const rate = this.accounts.get(r.account)?.rate;
        counts.set(rate, (counts.get(rate) ?? 0) + 1);
      }
      this.perRate = { version, counts };
    }
    return this.perRate.counts;
  }

  /**
   * A room's current target interval and (adaptive only) its estimated changes per second; undefined for
   * a room not polled now. Round-robin: its access key's rooms / qps, at least the period.
   */
  roomPlan(appId: string, roomId: string): { intervalSeconds: number; changesPerSecond?: number } | undefined {
    if (this.pump) return this.pump.roomPlan(appId, roomId);
    const room = this.registry.get(appId, roomId);
    if (!room || room.retiredAtMs !== undefined) return undefined;
    const rate = this.accounts.get(room.account)?.rate;
    return { intervalSeconds: Math.max(this.periodSeconds, (this.roomsPerRate().get(rate) ?? 0) / (rate?.configuredCap() ?? 1)) };
  }

  /** The polling strategy in force (polling.strategy at start; a reload does not change it). */
  strategy(): 'adaptive' | 'round-robin' {
    return this.pump ? 'adaptive' : 'round-robin';
  }

  /** Each account's configured and current GetRoomOnlineUsers rate. */
  rates(): { account: string; configuredQps: number; effectiveQps: number }[] {
    return this.accounts.all().map((b) => ({ account: b.name, configuredQps: b.rate.configuredCap(), effectiveQps: b.rate.current() }));
  }

  /** Per account: configured and current rate, and requests waiting for its limiter now. */
  accountStatus(): { account: string; configuredQps: number; effectiveQps: number; limiterQueue: number }[] {
    return this.accounts.all().map((b) => ({ account: b.name, configuredQps: b.rate.configuredCap(), effectiveQps: b.rate.current(), limiterQueue: b.limiter.pending() }));
  }

  async start(): Promise<AddressInfo> {
    const restored = await this.store.loadPending();
    this.deps.logger.info(
      { store: this.deps.state.description, restored, lastEventId: await this.deps.state.lastEventId() },
      restored > 0 ? 'state loaded; it is the baseline for the first poll' : 'no saved state for the configured rooms; the first poll is the baseline',
    );
    await this.callbacks?.start();
    const address = await this.server.listen(this.config.server.host, this.config.server.port);
    this.deps.metrics.reloadOk.set(1);
    this.deps.metrics.reloadTime.set(this.deps.clock.now() / 1000);
    this.discovery.apply(this.config);
    this.leadership.onChange((role) => {
      if (role === 'leader') {
        // Another leader may have committed meanwhile: continue from what is committed (a shared store), or
        // start afresh (a store of this replica only, which did not see those commits).
        this.store.invalidate(this.deps.leaderBaseline ?? 'committed');
        // A new leader polls at once, not at the next tick.
        if (this.pump) this.pump.runNow();
        else this.scheduler.runNow();
      }
      // A standby is ready: it serves its own metrics and is ready to take over.
      if (role === 'standby' && !this.ready && !this.stopping) this.ready = true;
    });
    this.leadership.start();
    if (this.pump) this.pump.start();
    else this.scheduler.start(true);
    this.deps.logger.info(
      { host: address.address, port: address.port, rooms: this.registry.activeCount(), qps: this.config.rateLimit.qps, schedule: this.config.schedule, endpoint: this.config.api.endpoint },
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
    const nextAccounts = accountSettings(next);
    const refused = this.accounts.check(nextAccounts);
    if (refused) {
      this.deps.metrics.reloadOk.set(0);
      this.deps.logger.error({ reason: refused }, 'config reload rejected; keeping the previous config');
      return refused;
    }
    try {
      this.accounts.update(nextAccounts);
      this.perRate = undefined; // an account may have moved to another key
    } catch (err) {
      // A client could not be built (e.g. a renamed key variable that is not set): nothing was swapped.
      const message = err instanceof Error ? err.message : String(err);
      this.deps.metrics.reloadOk.set(0);
      this.deps.logger.error({ reason: message }, 'config reload rejected; keeping the previous config');
      return message;
    }
    const prev = this.config;
    this.config = next;
    this.setRooms(next);
    this.discovery.apply(next);
    if (prev.schedule !== next.schedule) {
      this.periodSeconds = schedulePeriodSeconds(next.schedule);
      this.scheduler.replaceTicker(this.deps.makeTicker(next.schedule));
    }
    const restartOnly: string[] = (['server', 'events', 'state', 'shutdown', 'cluster', 'callbacks'] as const).filter(
      (k) => JSON.stringify(prev[k]) !== JSON.stringify(next[k]),
    );
    if (prev.polling.strategy !== next.polling.strategy) restartOnly.push('polling.strategy');
    if (restartOnly.length > 0) {
      this.deps.logger.warn({ keys: restartOnly }, 'these config sections change only on restart');
    }
    this.deps.metrics.reloadOk.set(1);
    this.deps.metrics.reloadTime.set(this.deps.clock.now() / 1000);
    this.deps.logger.info({ rooms: this.registry.activeCount(), qps: next.rateLimit.qps, schedule: next.schedule }, 'config reloaded');
    return undefined;
  }

  /**
   * Stop new requests, give in-flight ones until the deadline, then abort them; flush sinks, close the
   * HTTP server and the store. Idempotent.
   */
  shutdown(): Promise<void> {
    this.stopping ??= this.doShutdown();
    return this.stopping;
  }

  private async doShutdown(): Promise<void> {
    const { logger } = this.deps;
    const deadline = this.deps.monotonic.now() + this.shutdownTimeoutMs;
    logger.info({ timeoutMs: this.shutdownTimeoutMs }, 'shutting down');
    const callbacksDone = this.callbacks?.stop();
    this.accounts.close();
    const discoveryDone = this.discovery.stop().then(() => callbacksDone);
    const cycleDone = Promise.all([this.scheduler.stop(), this.pump?.stop()]).then(() => discoveryDone);
    const timedOut = await Promise.race([
      cycleDone.then(() => false),
      systemClock.sleep(Math.max(0, deadline - this.deps.monotonic.now())).then(() => true),
    ]);
    if (timedOut) {
      logger.warn('in-flight requests did not finish before the shutdown deadline; aborting them');
      this.inFlight.abort();
      await cycleDone;
    }
    try {
      await this.leadership.stop(); // no cycle runs any more: hand the lease to a standby at once
      await this.deps.closeSinks(Math.max(deadline, this.deps.monotonic.now() + 1000));
    } finally {
      // Whatever the sinks did, the endpoint and the store are closed.
      await this.server.close();
      await this.deps.state.close().catch((err: unknown) => logger.error({ err }, 'closing the state store failed'));
    }
    logger.info('stopped');
  }

  /**
   * The scheduler's gate: cycles run only on the leader. A standby's tick still keeps the registry current
   * (retired rooms expire), so what it would take over, and what it exports, does not grow stale.
   */
  private mayPoll(): boolean {
    if (this.leadership.isLeader()) return true;
    this.cycle.sync();
    return false;
  }

  private async runCycle(): Promise<void> {
    if (!(await this.prepareTerm())) return;
    this.markReady(await this.cycle.run(this.inFlight.signal));
  }

  private markReady(polled: number): void {
    if (!this.ready && !this.stopping) {
      this.ready = true;
      this.deps.logger.info({ rooms: polled }, 'first poll cycle complete; ready');
    }
  }

  /**
   * The pump's side of prepareTerm: true once this term's takeover is done; otherwise it starts one (at
   * most one at a time) and the pump waits, asking again at its next step.
   */
  private termPrepared(): boolean {
    const token = this.leadership.token();
    if (token === undefined || token === this.preparedTerm || !this.deps.takeover) return true;
    this.preparing ??= this.prepareTerm().finally(() => (this.preparing = undefined));
    return false;
  }

  /** Run the takeover once per term; false (logged) when it failed and this cycle must not poll. */
  private async prepareTerm(): Promise<boolean> {
    const token = this.leadership.token();
    if (token === undefined || token === this.preparedTerm || !this.deps.takeover) return true;
    try {
      await this.deps.takeover(token);
      this.preparedTerm = token;
      return true;
    } catch (err) {
      this.deps.logger.error({ err, token }, 'taking over as leader failed; not polling this cycle, retrying at the next');
      return false;
    }
  }

  /** The fixed `rooms:` are one list source of the registry. */
  private setRooms(config: Config): void {
    this.registry.setRetireAfter(config.discovery.retireAfterSeconds * 1000);
    const fixed = config.rooms.map((r) => ({ appId: r.appId, roomId: r.roomId, account: resolveAccount(config, r.account), capacity: r.capacity }));
    const first = this.registry.version() === 0;
    const { added, removed } = this.registry.replace('static', 'static', fixed, this.deps.clock.now(), { dropAtOnce: true });
    // The store follows at once (not only at the next cycle), so a removed room leaves /metrics on reload.
    this.cycle.sync();
    if (!first && added + removed > 0) this.deps.logger.info({ added, removed }, 'room list changed');
  }
}
