import type { Clock } from '../clock';
import { MAX_QPS } from '../config/schema';
import { AdaptiveRate } from '../ratelimit/adaptive-rate';
import { RateLimiter, SlidingWindowLimiter } from '../ratelimit/limiter';
import type { AccountSettings } from './account-settings';

/** Vendor cap of ListRoomInfo per access key, in any rolling second (its own, apart from GetRoomOnlineUsers'). */
export const LIST_ROOM_INFO_MAX_QPS = 10;

/** A limiter the pool can queue on, close at shutdown and ask for its queue length. */
export type AccountLimiter = RateLimiter & { close(): void; pending(): number };

/**
 * Builds the limiter of one (access key, action) when the default in-process one will not do (cluster
 * mode: one budget in Redis shared by every replica). Returns undefined to keep the in-process limiter.
 */
export type LimiterFactory = (rate: { current(): number }, accessKeyId: string, action: 'GetRoomOnlineUsers' | 'ListRoomInfo') => AccountLimiter | undefined;

/** The vendor's budget of one access key: what every account naming that key shares. */
export interface KeyBudget {
  readonly key: string;
  /** GetRoomOnlineUsers: adaptive rate under the lowest rateLimit.qps of the accounts on the key. */
  readonly rate: AdaptiveRate;
  readonly limiter: AccountLimiter;
  /** ListRoomInfo: a fixed rate under its own cap. */
  readonly listLimiter: AccountLimiter;
}

export interface KeyBudgetDeps {
  monotonic: Clock;
  makeLimiter?: LimiterFactory;
  /** Rate of the ListRoomInfo limiters (discovery.listRoomInfo.qps); read at every permit. */
  listQps(): number;
  /** Told, at every assign, of each key that several accounts use whose rateLimit.qps differ, and the qps they share. */
  sharedKey?(accounts: string[], qps: number): void;
}

/**
 * One budget per access key (and action), however many accounts name the key: the vendor counts requests
 * per key, so two accounts on one key with a budget each would together exceed its cap. Accounts on one
 * key that configure different rateLimit values get the lowest (the only one that holds for all of them).
 *
 * A budget is kept for the life of the process even when no account uses its key any more: its window
 * still holds that key's recent starts (an account moved back by a later reload must not get a fresh
 * window), and requests already waiting on it are never stranded by a close.
 */
export class KeyBudgets {
  private readonly byKey = new Map<string, KeyBudget>();

  constructor(private readonly deps: KeyBudgetDeps) {}

  /** The budget of each account (by name) given its access key id; sets each used key's limits (start and every reload). */
  assign(accounts: readonly { settings: AccountSettings; key: string }[]): Map<string, KeyBudget> {
    const limits = new Map<string, { qps: number; minQps: number; accounts: AccountSettings[] }>();
    for (const { settings, key } of accounts) {
      const l = limits.get(key);
      const { qps, minQps } = settings.rateLimit;
      limits.set(key, l ? { qps: Math.min(l.qps, qps), minQps: Math.min(l.minQps, minQps), accounts: [...l.accounts, settings] } : { qps, minQps, accounts: [settings] });
    }
    for (const [key, { qps, minQps, accounts: on }] of limits) {
      if (new Set(on.map((a) => a.rateLimit.qps)).size > 1) this.deps.sharedKey?.(on.map((a) => a.name), qps);
      const existing = this.byKey.get(key);
      if (existing) existing.rate.setLimits(qps, minQps);
      else this.byKey.set(key, this.build(key, qps, minQps));
    }
    return new Map(accounts.map(({ settings, key }) => [settings.name, this.byKey.get(key)!]));
  }

  /** Shutdown: every waiter on every limiter is released with an AbortError. */
  close(): void {
    for (const b of this.byKey.values()) {
      b.limiter.close();
      b.listLimiter.close();
    }
  }

  private build(key: string, qps: number, minQps: number): KeyBudget {
    const { monotonic, makeLimiter } = this.deps;
    const rate = new AdaptiveRate(qps, minQps);
    const listRate = { current: () => this.deps.listQps() };
    const limiter = makeLimiter?.(rate, key, 'GetRoomOnlineUsers') ?? new SlidingWindowLimiter(monotonic, rate, MAX_QPS);
    const listLimiter = makeLimiter?.(listRate, key, 'ListRoomInfo') ?? new SlidingWindowLimiter(monotonic, listRate, LIST_ROOM_INFO_MAX_QPS);
    return { key, rate, limiter, listLimiter };
  }
}
