import type { VerifiedCallback } from './callback-check';

/**
 * Cluster mode: where any replica stores a verified callback for the leader to apply. The vendor posts to
 * whichever replica its request reaches; a standby stores it here (durably, before its `200`), and the
 * leader takes the oldest entries, applies them through its fenced commit, and then removes them.
 */
export interface CallbackInbox {
  /** Store the callback; resolves once the shared store has it. */
  push(callback: VerifiedCallback): Promise<void>;
  /** The oldest `max` entries, oldest first (not removed). */
  peek(max: number): Promise<VerifiedCallback[]>;
  /** Remove the first `count` entries, only while `token` still holds the leader lease. */
  remove(count: number, token: number): Promise<void>;
}
