import type { Clock } from '../clock';
import type { RetryPolicy, RoomPoller } from '../polling/room-poller';
import type { AdaptiveRate } from '../ratelimit/adaptive-rate';
import type { AccountApi } from '../volc/account-api';
import type { AccountSettings } from './account-settings';
import { AccountLimiter, KeyBudget, KeyBudgets, LimiterFactory } from './key-budgets';

export { LIST_ROOM_INFO_MAX_QPS } from './key-budgets';
export type { AccountLimiter, LimiterFactory } from './key-budgets';

/** Everything that belongs to one account: its API client, and the limiters of its access key. */
export interface AccountBundle {
  readonly name: string;
  settings: AccountSettings;
  api: AccountApi;
  /** The access key's budget (shared with every account on the same key); a reload may move it. */
  budget: KeyBudget;
  /** GetRoomOnlineUsers: adaptive rate under the lowest rateLimit.qps of the accounts on the key. */
  readonly rate: AdaptiveRate;
  readonly limiter: AccountLimiter;
  /** ListRoomInfo: a fixed rate under its own cap. */
  readonly listLimiter: AccountLimiter;
  readonly poller: RoomPoller;
}

export interface AccountPoolDeps {
  monotonic: Clock;
  makeApi(account: AccountSettings): AccountApi;
  makePoller(account: string, parts: { api: AccountApi; limiter: AccountLimiter; rate: AdaptiveRate; retry: RetryPolicy }): RoomPoller;
  /** Shared limiters (cluster mode); absent: in-process sliding windows. */
  makeLimiter?: LimiterFactory;
  /**
   * The access key id an account's requests are signed with: the key its limiters belong to. May throw
   * (a variable that is not set). Default: the name of its access key variable (the same variable is the
   * same key); main passes the key id itself, so two variables holding one key share a budget too.
   */
  limiterKey?(account: AccountSettings): string;
  /** Rate of the ListRoomInfo limiter (discovery.listRoomInfo.qps); read at every permit. */
  listQps(): number;
  /** Accounts on one key whose rateLimit.qps differ, and the (lowest) qps they share; at start and every reload. */
  sharedKey?(accounts: string[], qps: number): void;
}

export function retryPolicyOf(account: AccountSettings): RetryPolicy {
  return { maxRetries: account.api.maxRetries, baseDelayMs: account.api.retryBaseDelayMs, maxDelayMs: account.api.retryMaxDelayMs };
}

/**
 * The accounts of the running daemon. Limiters belong to access keys, not to accounts: accounts on
 * different keys are polled in parallel, each under its key's cap; accounts on one key share its budget.
 */
export class AccountPool {
  private readonly bundles = new Map<string, AccountBundle>();
  private readonly budgets: KeyBudgets;

  constructor(
    settings: readonly AccountSettings[],
    private readonly deps: AccountPoolDeps,
  ) {
    this.budgets = new KeyBudgets(deps);
    const budgets = this.budgets.assign(this.keyed(settings));
    for (const s of settings) this.bundles.set(s.name, this.build(s, budgets.get(s.name)!));
  }

  get(name: string): AccountBundle | undefined {
    return this.bundles.get(name);
  }

  all(): AccountBundle[] {
    return [...this.bundles.values()];
  }

  /**
   * A reload: new API settings and rates for the same accounts. Adding or removing an account needs a
   * restart; returns the reason when refused.
   */
  check(settings: readonly AccountSettings[]): string | undefined {
    const next = settings.map((s) => s.name).sort().join(',');
    const now = [...this.bundles.keys()].sort().join(',');
    return next === now ? undefined : `accounts: adding, removing or renaming accounts needs a restart (running: ${now}; new: ${next})`;
  }

  update(settings: readonly AccountSettings[]): void {
    // Every client and key first: makeApi and limiterKey may throw (a renamed key variable that is not
    // set), and a rejected reload must change nothing. Always a new client: the CA file is re-read on every
    // reload, and makeApi reuses the keep-alive pool (and its warm connections) when neither the CA nor the
    // schedule period changed.
    const keyed = this.keyed(settings.filter((s) => this.bundles.has(s.name)));
    const next = keyed.map(({ settings: s }) => ({ b: this.bundles.get(s.name)!, s, api: this.deps.makeApi(s) }));
    const budgets = this.budgets.assign(keyed);
    for (const { b, s, api } of next) {
      // An account pointed at another key moves to that key's budget (its waiters re-queue there).
      const budget = budgets.get(s.name)!;
      if (budget !== b.budget) {
        b.budget = budget;
        b.poller.setBudget({ limiter: budget.limiter, rate: budget.rate });
      }
      b.poller.setRetryPolicy(retryPolicyOf(s));
      b.api = api;
      b.poller.setApi(api);
      b.settings = s;
    }
  }

  /** Shutdown: every waiter on every limiter is released with an AbortError. */
  close(): void {
    this.budgets.close();
  }

  private keyed(settings: readonly AccountSettings[]): { settings: AccountSettings; key: string }[] {
    return settings.map((s) => ({ settings: s, key: this.deps.limiterKey?.(s) ?? s.accessKeyEnv }));
  }

  private build(settings: AccountSettings, budget: KeyBudget): AccountBundle {
    const api = this.deps.makeApi(settings);
    const poller = this.deps.makePoller(settings.name, { api, limiter: budget.limiter, rate: budget.rate, retry: retryPolicyOf(settings) });
    return {
      name: settings.name,
      settings,
      api,
      budget,
      poller,
      get rate() {
        return this.budget.rate;
      },
      get limiter() {
        return this.budget.limiter;
      },
      get listLimiter() {
        return this.budget.listLimiter;
      },
    };
  }
}
