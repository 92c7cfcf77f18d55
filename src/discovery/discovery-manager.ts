import { accountSettings, resolveAccount } from '../accounts/account-settings';
import type { Clock } from '../clock';
import type { Config } from '../config/schema';
import type { Logger } from '../logger';
import type { RateLimiter } from '../ratelimit/limiter';
import type { ListRoomInfoApi } from '../volc/list-room-info';
import type { DiscoveryObserver } from './discovery-observer';
import { ListRoomInfoSource } from './list-room-info-source';
import { PeriodicTask } from './periodic-task';
import { FileSource } from './file-source';
import { watchGlobs } from './file-watch';
import { HttpSource, redact } from './http-source';
import type { RoomListContext } from './room-list';
import type { RoomRegistry } from './room-registry';

export interface DiscoveryManagerDeps {
  registry: RoomRegistry;
  observer: DiscoveryObserver;
  /** Wall clock (the vendor's ranges, file and HTTP refresh). */
  clock: Clock;
  logger: Logger;
  /** The account's current client and its ListRoomInfo limiter. */
  account(name: string): { api: ListRoomInfoApi; listLimiter: RateLimiter } | undefined;
  /** Relative `discovery.files` globs are resolved against this directory (the config file's). */
  configDir: string;
}

interface ListSource {
  /** The settings it runs with, to tell on reload whether it must restart. */
  key: string;
  task: PeriodicTask;
  unwatch?: () => void;
}

interface Running {
  task: PeriodicTask;
  account: string;
}

/**
 * Starts, reconfigures and stops the discovery sources of the config. Sources only write to the room
 * registry; the poll cycle reads it. On reload a source whose settings stay keeps running (and its
 * memory of what it has listed); removed sources stop and their rooms retire.
 */
export class DiscoveryManager {
  private config?: Config;
  private readonly apps = new Map<string, Running>();
  private files?: ListSource;
  private readonly http = new Map<string, ListSource>();
  private stopped = false;

  constructor(private readonly deps: DiscoveryManagerDeps) {}

  /** Make the running sources match `config` (first start and every reload). */
  apply(config: Config): void {
    if (this.stopped) return;
    this.config = config;
    const lri = config.discovery.listRoomInfo;
    const wanted = new Map((lri?.apps ?? []).map((a) => [a.appId, resolveAccount(config, a.account)]));
    for (const [appId, running] of this.apps) {
      if (wanted.get(appId) !== running.account) {
        this.apps.delete(appId);
        void running.task.stop();
        this.deps.registry.endAppLive(appId, this.deps.clock.now());
        this.deps.observer.targetRemoved('list_room_info', appId);
      }
    }
    for (const [appId, account] of wanted) {
      if (!this.apps.has(appId)) this.apps.set(appId, { account, task: this.listRoomInfoTask(appId, account) });
    }
    this.applyFiles(config);
    this.applyHttp(config);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.files?.unwatch?.();
    const tasks = [...this.apps.values(), ...this.http.values(), ...(this.files ? [this.files] : [])].map((r) => r.task.stop());
    await Promise.all(tasks);
  }

  /** Accounts a listed room may name, for file and HTTP lists. */
  private context(): RoomListContext {
    const config = this.config!;
    return { accounts: new Set(accountSettings(config).map((a) => a.name)), defaultAccount: resolveAccount(config, undefined) };
  }

  private applyFiles(config: Config): void {
    const { deps } = this;
    const globs = config.discovery.files;
    const key = JSON.stringify(globs ?? null);
    if (this.files?.key === key) return;
    if (this.files) {
      this.files.unwatch?.();
      void this.files.task.stop();
      for (const pattern of JSON.parse(this.files.key) as string[]) if (!globs?.includes(pattern)) deps.observer.targetRemoved('file', pattern);
      this.files = undefined;
    }
    if (!globs) {
      deps.registry.replace('file', 'file', [], deps.clock.now());
      return;
    }
    const source = new FileSource({ globs, cwd: deps.configDir, context: () => this.context(), registry: deps.registry, observer: deps.observer, clock: deps.clock, logger: deps.logger });
    const task = new PeriodicTask('discovery files', () => this.config!.discovery.filesRefreshSeconds * 1000, () => source.pass(), deps.clock, deps.logger);
    task.start();
    this.files = { key, task, unwatch: watchGlobs(globs, deps.configDir, () => task.wake()) };
  }

  private applyHttp(config: Config): void {
    const { deps } = this;
    const wanted = new Map((config.discovery.http ?? []).map((h, i) => [`http:${i}`, h]));
    for (const [name, running] of this.http) {
      const next = wanted.get(name);
      if (next && JSON.stringify(next) === running.key) continue;
      void running.task.stop();
      this.http.delete(name);
      const oldUrl = (JSON.parse(running.key) as { url: string }).url;
      if (next?.url !== oldUrl) deps.observer.targetRemoved('http', redact(oldUrl));
      // Removed: its rooms retire. Changed: the new source replaces the list at its first good answer.
      if (!next) deps.registry.replace(name, 'http', [], deps.clock.now());
    }
    for (const [name, settings] of wanted) {
      if (this.http.has(name)) continue;
      const source = new HttpSource({ name, settings, context: () => this.context(), registry: deps.registry, observer: deps.observer, clock: deps.clock, logger: deps.logger });
      const task = new PeriodicTask(`discovery ${name}`, () => settings.intervalSeconds * 1000, (signal) => source.pass(signal), deps.clock, deps.logger);
      task.start();
      this.http.set(name, { key: JSON.stringify(settings), task });
    }
  }

  private listRoomInfoTask(appId: string, account: string): PeriodicTask {
    const { deps } = this;
    const settings = (): NonNullable<Config['discovery']['listRoomInfo']> => this.config!.discovery.listRoomInfo!;
    const accountApi = (): { api: ListRoomInfoApi; listLimiter: RateLimiter } => {
      const a = deps.account(account);
      if (!a) throw new Error(`unknown account ${account}`);
      return a;
    };
    const source = new ListRoomInfoSource({
      appId,
      account,
      api: () => accountApi().api,
      // Looked up at every permit: a reload may point the account at another access key (another limiter).
      limiter: { acquire: (opts) => accountApi().listLimiter.acquire(opts), permit: (opts) => accountApi().listLimiter.permit(opts) },
      registry: deps.registry,
      observer: deps.observer,
      clock: deps.clock,
      logger: deps.logger,
      settings: () => {
        const api = this.config!.accounts?.find((a) => a.name === account)?.api ?? this.config!.api;
        return { ...settings(), maxRetries: api.maxRetries, retryBaseDelayMs: api.retryBaseDelayMs };
      },
    });
    const task = new PeriodicTask(`ListRoomInfo ${appId}`, () => (this.config!.discovery.listRoomInfo?.intervalSeconds ?? 15) * 1000, (signal) => source.pass(signal), deps.clock, deps.logger);
    task.start();
    return task;
  }
}
