import type { Clock } from '../clock';
import { MAX_QPS } from '../config/schema';
import type { RetryPolicy, RoomPoller } from '../polling/room-poller';
import { AdaptiveRate } from '../ratelimit/adaptive-rate';
import { RateLimiter, SlidingWindowLimiter } from '../ratelimit/limiter';
import type { AccountApi } from '../volc/account-api';
import type { AccountSettings } from './account-settings';

/** Vendor cap of ListRoomInfo per account, in any rolling second (its own, apart from GetRoomOnlineUsers'). */
export const LIST_ROOM_INFO_MAX_QPS = 10;

/** A limiter the pool can queue on, close at shutdown and ask for its queue length. */
export type AccountLimiter = RateLimiter & { close(): void; pending(): number };

/**
 * Builds the limiter of one (account, action) when the default in-process one will not do (cluster mode:
 * one budget in Redis shared by every replica). Returns undefined to keep the in-process limiter.
 */
export type LimiterFactory = (rate: { current(): number }, account: AccountSettings, action: 'GetRoomOnlineUsers' | 'ListRoomInfo') => AccountLimiter | undefined;

/** Everything that belongs to one account: its API client, and one limiter per (account, action). */
export interface AccountBundle {
  readonly name: string;
  settings: AccountSettings;
  api: AccountApi;
  /** GetRoomOnlineUsers: adaptive rate under rateLimit.qps. */
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
  /** Rate of the ListRoomInfo limiter (discovery.listRoomInfo.qps); read at every permit. */
  listQps(): number;
}

export function retryPolicyOf(account: AccountSettings): RetryPolicy {
  return { maxRetries: account.api.maxRetries, baseDelayMs: account.api.retryBaseDelayMs, maxDelayMs: account.api.retryMaxDelayMs };
}

/**
 * The accounts of the running daemon. Each account's limiters are independent, so rooms of two accounts
 * are polled in parallel, each under its own cap.
 */
export class AccountPool {
  private readonly bundles = new Map<string, AccountBundle>();

  constructor(
    settings: readonly AccountSettings[],
    private readonly deps: AccountPoolDeps,
  ) {
    for (const s of settings) this.bundles.set(s.name, this.build(s));
  }

  get(name: string): AccountBundle | undefined {
    return this.bundles.get(name);
  }

  all(): AccountBundle[] {
    return [...this.bundles.values()];
  }

  /**
   * A reload: new API settings and rates for the same accounts. Adding or removing an account needs a
   * restart (a limiter must never be replaced while requests wait on it); returns the reason when refused.
   */
  check(settings: readonly AccountSettings[]): string | undefined {
    const next = settings.map((s) => s.name).sort().join(',');
    const now = [...this.bundles.keys()].sort().join(',');
    return next === now ? undefined : `accounts: adding, removing or renaming accounts needs a restart (running: ${now}; new: ${next})`;
  }

  update(settings: readonly AccountSettings[]): void {
    // Every client first: makeApi may throw (a renamed key variable that is not set), and a rejected reload
    // must change nothing. Always a new client: the CA file is re-read on every reload, and makeApi reuses
    // the keep-alive pool (and its warm connections) when neither the CA nor the schedule period changed.
    const next = settings.flatMap((s) => {
      const b = this.bundles.get(s.name);
      return b ? [{ b, s, api: this.deps.makeApi(s) }] : [];
    });
    for (const { b, s, api } of next) {
      b.rate.setLimits(s.rateLimit.qps, s.rateLimit.minQps);
      b.poller.setRetryPolicy(retryPolicyOf(s));
      b.api = api;
      b.poller.setApi(api);
      b.settings = s;
    }
  }

  /** Shutdown: every waiter on every limiter is released with an AbortError. */
  close(): void {
    for (const b of this.bundles.values()) {
      b.limiter.close();
      b.listLimiter.close();
    }
  }

  private build(settings: AccountSettings): AccountBundle {
    const { monotonic } = this.deps;
    const rate = new AdaptiveRate(settings.rateLimit.qps, settings.rateLimit.minQps);
    const listRate = { current: () => this.deps.listQps() };
    const limiter = this.deps.makeLimiter?.(rate, settings, 'GetRoomOnlineUsers') ?? new SlidingWindowLimiter(monotonic, rate, MAX_QPS);
    const listLimiter = this.deps.makeLimiter?.(listRate, settings, 'ListRoomInfo') ?? new SlidingWindowLimiter(monotonic, listRate, LIST_ROOM_INFO_MAX_QPS);
    const api = this.deps.makeApi(settings);
    const poller = this.deps.makePoller(settings.name, { api, limiter, rate, retry: retryPolicyOf(settings) });
    return { name: settings.name, settings, api, rate, limiter, listLimiter, poller };
  }
}
