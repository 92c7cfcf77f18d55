import type { FenceCheck } from '../store/store';

/**
 * Leadership is a capability passed in, like the clock: the daemon polls and commits only while
 * `isLeader()` says so, and never asks whether it runs in a cluster. A single process gets
 * `AlwaysLeader`; replicas get the Redis lease (redis-lease.ts).
 */

/** leader: holds the lease; standby: another replica holds it; unknown: the lease store cannot be reached. */
export type Role = 'leader' | 'standby' | 'unknown';

export interface Leadership {
  /** True only while this process may act as the leader: checked against a local deadline at each call. */
  isLeader(): boolean;
  /** The fencing token of the current term (grows with every new leader); undefined while not leader. */
  token(): number | undefined;
  role(): Role;
  /**
   * True while this replica's room values are the cluster's latest: it is the leader, or it was the
   * leader when it lost contact with the lease store (it keeps serving its last values rather than going
   * blank, and says so in rtc_cluster_redis_up).
   */
  ownsRoomSeries(): boolean;
  /** Called on every change of role (leader gained or lost). Returns an unsubscribe function. */
  onChange(listener: (role: Role) => void): () => void;
  start(): void;
  /** Stop campaigning; a leader gives the lease up so a standby takes over at once. */
  stop(): Promise<void>;
}

/**
 * The fence of a store that is not shared (memory, SQLite) under `leadership`: a write is current only
 * while this process leads and carries this term's token.
 */
export function leaderFence(leadership: Leadership): FenceCheck {
  return { holds: (token) => token !== undefined && leadership.token() === token };
}

/** A single process: always the leader, with a constant token. */
export class AlwaysLeader implements Leadership {
  static readonly TOKEN = 1;

  isLeader(): boolean {
    return true;
  }

  token(): number {
    return AlwaysLeader.TOKEN;
  }

  role(): Role {
    return 'leader';
  }

  ownsRoomSeries(): boolean {
    return true;
  }

  onChange(): () => void {
    return () => undefined;
  }

  start(): void {}

  async stop(): Promise<void> {}
}
