import { resolveAccount } from '../accounts/account-settings';
import type { Clock } from '../clock';
import type { Config } from '../config/schema';
import type { Logger } from '../logger';
import type { RateLimiter } from '../ratelimit/limiter';
import type { ListRoomInfoApi } from '../volc/list-room-info';
import type { DiscoveryObserver } from './discovery-observer';
import { ListRoomInfoSource } from './list-room-info-source';
import { PeriodicTask } from './periodic-task';
import type { RoomRegistry } from './room-registry';

export interface DiscoveryManagerDeps {
  registry: RoomRegistry;
  observer: DiscoveryObserver;
  /** Wall clock (the vendor's ranges, file and HTTP refresh). */
  clock: Clock;
  logger: Logger;
  /** The account's current client and its ListRoomInfo limiter. */
  account(name: string): { api: ListRoomInfoApi; listLimiter: RateLimiter } | undefined;
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
      }
    }
    for (const [appId, account] of wanted) {
      if (!this.apps.has(appId)) this.apps.set(appId, { account, task: this.listRoomInfoTask(appId, account) });
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.apps.values()].map((r) => r.task.stop()));
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
      limiter: accountApi().listLimiter,
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
