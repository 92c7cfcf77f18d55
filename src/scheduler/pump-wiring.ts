import type { AccountPool } from '../accounts/account-pool';
import type { Clock } from '../clock';
import type { PollingConfig } from '../config/schema';
import type { RoomRegistry } from '../discovery/room-registry';
import type { Logger } from '../logger';
import type { PollCycle } from '../polling/poll-cycle';
import type { RoomStore, RoomView } from '../store/room-store';
import { DuePump, PumpObserver } from './due-pump';
import type { IntervalBounds } from './interval-rule';

export interface PumpWiring {
  registry: RoomRegistry;
  store: RoomStore;
  /** The cycle's store sync (expire retired rooms, hold exactly the exported set). */
  cycle: PollCycle;
  accounts: AccountPool;
  polling: () => PollingConfig;
  periodSeconds: () => number;
  observer: PumpObserver;
  /** Wall clock, for the registry's times. */
  clock: Clock;
  monotonic: Clock;
  logger: Logger;
  gate: () => boolean;
  /** In-flight requests listen on this (shutdown aborts it). */
  signal: AbortSignal;
}

/**
 * The rule aims this far inside the bound: a room at its bound waits its turn at the limiter behind the
 * rooms due at the same moment, and that wait must not take it past the bound.
 */
export const BOUND_MARGIN = 0.9;

/**
 * The bounds of one account: never more often than the period, never less often than
 * polling.maxIntervalSeconds (default 3 × rooms / qps). The bound is raised to the round-robin sweep time
 * if it is shorter, so the rule always has a solution; such a bound could not be kept by any order.
 */
export function accountBounds(polling: PollingConfig, periodSeconds: number, qps: number, rooms: number): IntervalBounds & { lateAfterSeconds: number } {
  const sweep = rooms / qps;
  const bound = Math.max(polling.maxIntervalSeconds ?? 3 * sweep, periodSeconds, sweep);
  return { minSeconds: periodSeconds, maxSeconds: Math.max(periodSeconds, sweep, bound * BOUND_MARGIN), qps, lateAfterSeconds: bound };
}

/** Member changes a room's counters have seen (a poll's changes are the difference across it). */
function changeCount(v: RoomView | undefined): number {
  return v ? v.joins + v.leaves + v.visibilityChanges : 0;
}

/** The adaptive strategy's pump over the daemon's parts (registry, store, accounts). */
export function wireDuePump(w: PumpWiring): DuePump {
  // Each room's change count when its last poll ended: a poll reports every change since then, so the
  // changes vendor callbacks brought between two polls count towards the room's rate as well.
  const countAtLastPoll = new WeakMap<RoomView, number>();
  return new DuePump({
    rooms: () => w.registry.active(),
    roomsVersion: () => w.registry.version(),
    sync: async () => {
      w.cycle.sync();
      try {
        await w.store.loadPending();
      } catch (err) {
        w.logger.error({ err }, 'loading committed room state failed; rooms not read start from a fresh baseline');
      }
    },
    account: (name) => {
      const b = w.accounts.get(name);
      if (!b) return undefined;
      return {
        limiter: b.limiter,
        poll: async (room, permit) => {
          const ref = { appId: room.appId, roomId: room.roomId };
          const view = w.store.get(ref.appId, ref.roomId);
          const before = (view && countAtLastPoll.get(view)) ?? changeCount(view);
          const ok = await b.poller.poll(ref, w.signal, { permit });
          if (!ok) return undefined;
          const after = w.store.get(ref.appId, ref.roomId);
          // RoomExists false ends a discovered room, as in a cycle.
          if (after?.exists === false) w.registry.polled(ref.appId, ref.roomId, false, w.clock.now());
          if (after) countAtLastPoll.set(after, changeCount(after));
          return Math.max(0, changeCount(after) - before);
        },
      };
    },
    bounds: (account, rooms) => accountBounds(w.polling(), w.periodSeconds(), w.accounts.get(account)?.rate.configuredCap() ?? 1, rooms),
    observer: w.observer,
    clock: w.monotonic,
    logger: w.logger,
    gate: w.gate,
  });
}
