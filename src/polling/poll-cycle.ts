import { Clock, isAbortError } from '../clock';
import type { RoomRegistry } from '../discovery/room-registry';
import type { Logger } from '../logger';
import { roomKey } from '../rooms/room-event';
import type { RoomStore } from '../store/room-store';
import type { Permit } from '../ratelimit/limiter';
import type { RoomRef } from '../volc/client';
import type { RoomPoller } from './room-poller';

export interface PollCycleDeps {
  registry: RoomRegistry;
  store: RoomStore;
  /** The poller of an account (each has its own limiter); undefined for an unknown account. */
  pollerOf(account: string): RoomPoller | undefined;
  /** Every account's poller, to forget log state of rooms that left. */
  pollers(): Iterable<RoomPoller>;
  clock: Clock;
  logger: Logger;
}

/**
 * One poll cycle over what the room registry holds at its start: expire retired rooms whose series have
 * been shown long enough, make the room store hold exactly the exported set (reading the committed
 * baseline of rooms new to it), poll every active room
 * (each through its account's poller, so accounts run in parallel), and tell the registry which rooms the
 * vendor says are gone. Never rejects.
 */
export class PollCycle {
  private syncedRevision = -1;

  constructor(private readonly deps: PollCycleDeps) {}

  /** Make the store hold exactly the registry's exported set (active + retired not yet expired). */
  sync(): void {
    const { registry, store } = this.deps;
    registry.expire(this.deps.clock.now());
    if (registry.version() === this.syncedRevision) return;
    this.syncedRevision = registry.version();
    const specs = registry.specs();
    const { added, removed } = store.setRooms(specs);
    const keep = new Set(specs.map((s) => roomKey(s.appId, s.roomId)));
    for (const p of this.deps.pollers()) p.forget(keep);
    if (added + removed > 0) this.deps.logger.debug({ added, removed, exported: specs.length }, 'room set changed');
  }

  /** Polls the active rooms; resolves with how many were polled. */
  async run(signal: AbortSignal): Promise<number> {
    this.sync();
    const { registry, store } = this.deps;
    // A room new to the store (discovered, added by a reload, or every room at start) takes its committed
    // baseline before its first poll, so the changes made while it was not watched are reported.
    try {
      await store.loadPending();
    } catch (err) {
      this.deps.logger.error({ err }, 'loading committed room state failed; rooms not read start from a fresh baseline');
    }
    // Rooms never polled go first (stable sort), so a room found since the last cycle gets its first
    // answer early in this one rather than after every known room.
    const rooms = registry.active().sort((a, b) => neverPolled(store, b) - neverPolled(store, a));
    const lanes = new Map<RoomPoller, RoomRef[]>();
    for (const r of rooms) {
      const poller = this.deps.pollerOf(r.account);
      if (!poller) continue;
      const lane = lanes.get(poller);
      if (lane) lane.push({ appId: r.appId, roomId: r.roomId });
      else lanes.set(poller, [{ appId: r.appId, roomId: r.roomId }]);
    }
    await Promise.allSettled([...lanes].map(([poller, refs]) => this.lane(poller, refs, signal)));
    return rooms.length;
  }

  /**
   * One account's rooms in order, each started when a permit of its budget is granted: the lane asks for
   * the next permit only then, so the rooms still waiting for the budget are positions in an array rather
   * than a suspended poll each. (With every room of a cycle waiting in the limiter at once, those chains
   * lived for seconds and survived V8's young-generation collections, which grow the young generation
   * faster; BENCHMARKS.md, "Young generation".) Accounts' lanes run in parallel; lanes
   * on one access key share its limiter's queue, as a retry or a confirm poll does (ahead of them). Never rejects.
   */
  private async lane(poller: RoomPoller, refs: RoomRef[], signal: AbortSignal): Promise<void> {
    const { registry, store, clock } = this.deps;
    const polls: Promise<void>[] = [];
    // Every room of the lane was wanted from its start: its wait for the limiter counts from there
    // (rtc_ratelimit_wait_seconds keeps its meaning), not from when the lane got round to asking.
    const wantedAt = clock.now();
    for (const ref of refs) {
      let permit: Permit;
      try {
        permit = await poller.nextPermit();
      } catch (err) {
        // Shutdown closes the limiter; anything else is a bug, and the rest of the lane waits for the next cycle.
        if (!isAbortError(err)) this.deps.logger.error({ err }, 'asking for a poll permit failed; the rest of this cycle is skipped');
        break;
      }
      if (signal.aborted) break; // the permit goes unused: never over the cap
      const waited = { ...permit, waitedMs: Math.max(permit.waitedMs, clock.now() - wantedAt) };
      polls.push(
        poller.poll(ref, signal, { permit: waited }).then((ok) => {
          // RoomExists false ends a discovered room: it is not polled again from the next cycle on.
          if (ok && store.get(ref.appId, ref.roomId)?.exists === false) registry.polled(ref.appId, ref.roomId, false, clock.now());
        }),
      );
    }
    // allSettled: even if a poll broke its never-reject promise, the lane ends only when every poll has.
    await Promise.allSettled(polls);
  }
}

function neverPolled(store: RoomStore, r: { appId: string; roomId: string }): number {
  return store.get(r.appId, r.roomId)?.up === undefined ? 1 : 0;
}
