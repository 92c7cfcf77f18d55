import type { Clock } from '../clock';
import type { Logger } from '../logger';
import type { RoomEvent } from '../rooms/room-event';
import type { DeliveryTarget } from '../sinks/log-delivery';
import type { Leadership } from './leadership';

/** A target whose queued events can be dropped at once (the webhook's queue). */
export interface DiscardableTarget extends DeliveryTarget {
  /** Drop what is queued and in flight, acknowledging nothing. */
  discard(): number;
}

/** Backoff of a failed cursor read at takeover (defect 4 of issue #18): doubling, capped. */
export const RESYNC_RETRY_BASE_MS = 500;
export const RESYNC_RETRY_MAX_MS = 30_000;

/**
 * A delivery that only the leader runs, from the cursor kept in the shared store (the webhook with
 * `state.backend: redis`): every replica reads the same log, so without this each would POST every event.
 *
 * - Losing leadership drops the target's queue at once (nothing more is sent or retried by a deposed
 *   leader) and stops reading; the cursor writes of the delivery carry the leader's token, so a late
 *   acknowledgement cannot move the shared cursor either (log-delivery.ts, the store's fence).
 * - Gaining it re-reads the shared cursor (`resync`) once the queue is empty, then delivers. A failed read
 *   (Redis timed out) is retried with backoff until it succeeds or the term ends: one failure must not
 *   stop the webhook for a whole term.
 */
export class LeaderGatedTarget implements DeliveryTarget {
  private synced = false;
  private term = 0;

  constructor(
    private readonly target: DiscardableTarget,
    private readonly leadership: Leadership,
    private readonly clock: Clock,
  ) {}

  /** Follow leadership changes; `resync` is the delivery's (LogDelivery.resync). Returns the unsubscribe. */
  follow(resync: () => Promise<void>, logger: Logger, name: string): () => void {
    let stopTerm: AbortController | undefined;
    return this.leadership.onChange((role) => {
      const mine = ++this.term;
      this.synced = false;
      stopTerm?.abort();
      stopTerm = new AbortController();
      this.target.discard();
      if (role === 'leader') void this.syncTerm(mine, stopTerm.signal, resync, logger, name);
    });
  }

  private async syncTerm(term: number, stop: AbortSignal, resync: () => Promise<void>, logger: Logger, name: string): Promise<void> {
    for (let attempt = 0; !stop.aborted && term === this.term; attempt++) {
      try {
        await resync();
        if (term === this.term) this.synced = true;
        if (attempt > 0) logger.info({ sink: name, attempts: attempt + 1 }, 'shared delivery cursor read; delivering');
        return;
      } catch (err) {
        if (attempt === 0) logger.error({ sink: name, err }, 'reading the shared delivery cursor failed; retrying with backoff while this replica leads');
        const waitMs = Math.min(RESYNC_RETRY_MAX_MS, RESYNC_RETRY_BASE_MS * 2 ** attempt);
        await this.clock.sleep(waitMs, stop).catch(() => undefined);
      }
    }
  }

  capacity(): number {
    return this.synced && this.leadership.isLeader() ? this.target.capacity() : 0;
  }

  accept(events: RoomEvent[]): void {
    // Read before the term ended: a deposed leader hands nothing to the webhook (the next leader reads
    // these events from the shared cursor).
    if (!this.synced || !this.leadership.isLeader()) return;
    this.target.accept(events);
  }
}
