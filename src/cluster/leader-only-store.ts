import type { RoomEvent } from '../rooms/room-event';
import { Fence, PollCommit, StateStore, StateWriteError, StoredRoom } from '../store/store';
import type { Leadership } from './leadership';

/**
 * A replica's own store in cluster mode, committing only while this replica leads. A poll that was in
 * flight when the lease was lost commits nothing, so neither its events (which the file and webhook sinks
 * read from the committed log) nor its member changes exist: the view stays on the last commit, and the
 * new leader is the only one that reports the change. The check is local (the lease's own deadline); a
 * store in Redis checks the fencing token atomically in its commit instead. The store underneath refuses
 * every other write without the current token by itself (leaderFence, deployment.ts); this wrapper adds
 * the count of the events a refused commit withheld (rtc_cluster_fenced_events_total).
 */
export class LeaderOnlyStore implements StateStore {
  readonly description: string;

  constructor(
    private readonly inner: StateStore,
    private readonly leadership: Leadership,
    private readonly withheld: (events: number) => void,
  ) {
    this.description = inner.description;
  }

  commitPoll(commit: PollCommit, fence: Fence): Promise<RoomEvent[]> {
    if (!this.leadership.isLeader()) {
      this.withheld(commit.events.length);
      return Promise.reject(new StateWriteError('not the leader: the poll is not committed', 'NotLeader'));
    }
    return this.inner.commitPoll(commit, fence);
  }

  loadRooms(): Promise<StoredRoom[]> {
    return this.inner.loadRooms();
  }
  loadRoom(appId: string, roomId: string): Promise<StoredRoom | undefined> {
    return this.inner.loadRoom(appId, roomId);
  }
  forgetRooms(keys: readonly string[], fence: Fence): Promise<void> {
    return this.inner.forgetRooms(keys, fence);
  }
  readEvents(afterId: number, limit: number): Promise<RoomEvent[]> {
    return this.inner.readEvents(afterId, limit);
  }
  lastEventId(): Promise<number> {
    return this.inner.lastEventId();
  }
  onCommitted(listener: (lastId: number) => void): () => void {
    return this.inner.onCommitted(listener);
  }
  getCursor(name: string): Promise<number | undefined> {
    return this.inner.getCursor(name);
  }
  setCursor(name: string, eventId: number, fence: Fence): Promise<void> {
    return this.inner.setCursor(name, eventId, fence);
  }
  prune(nowMs: number, fence: Fence): Promise<number> {
    return this.inner.prune(nowMs, fence);
  }
  recentCallbackIds(sinceMs: number): Promise<string[]> {
    return this.inner.recentCallbackIds(sinceMs);
  }
  continueIdsAfter(id: number, fence: Fence): Promise<void> {
    return this.inner.continueIdsAfter(id, fence);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
