import type { Clock } from '../clock';
import type { RoomRegistry } from '../discovery/room-registry';
import type { Logger } from '../logger';
import { roomKey } from '../rooms/room-event';
import type { RoomStore } from '../store/room-store';
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
    const { registry, store, clock } = this.deps;
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
    // allSettled: even if a poll broke its never-reject promise, the cycle ends only when every poll has.
    await Promise.allSettled(
      rooms.map(async (r) => {
        const poller = this.deps.pollerOf(r.account);
        if (!poller) return;
        const ok = await poller.poll({ appId: r.appId, roomId: r.roomId }, signal);
        // RoomExists false ends a discovered room: it is not polled again from the next cycle on.
        if (ok && store.get(r.appId, r.roomId)?.exists === false) registry.polled(r.appId, r.roomId, false, clock.now());
      }),
    );
    return rooms.length;
  }
}

function neverPolled(store: RoomStore, r: { appId: string; roomId: string }): number {
  return store.get(r.appId, r.roomId)?.up === undefined ? 1 : 0;
}
