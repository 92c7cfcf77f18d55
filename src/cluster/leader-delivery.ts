import type { Logger } from '../logger';
import type { RoomEvent } from '../rooms/room-event';
import type { DeliveryTarget } from '../sinks/log-delivery';
import type { Leadership } from './leadership';

/**
 * A delivery that only the leader runs, from the cursor kept in the shared store (the webhook with
 * `state.backend: redis`): every replica reads the same log, so without this each would POST every event.
 * A replica that becomes leader first re-reads the shared cursor (`resync`), then delivers; a standby's
 * target reports no capacity, so its delivery reads nothing.
 */
export class LeaderGatedTarget implements DeliveryTarget {
  private synced = false;

  constructor(
    private readonly target: DeliveryTarget,
    private readonly leadership: Leadership,
  ) {}

  /** Follow leadership changes; `resync` is the delivery's (LogDelivery.resync). Returns the unsubscribe. */
  follow(resync: () => Promise<void>, logger: Logger, name: string): () => void {
    let term = 0;
    return this.leadership.onChange((role) => {
      this.synced = false;
      if (role !== 'leader') return;
      const mine = ++term;
      resync().then(
        () => void (mine === term && (this.synced = true)),
        (err: unknown) => logger.error({ sink: name, err }, 'reading the shared delivery cursor failed; this sink stays paused until the next leadership change'),
      );
    });
  }

  capacity(): number {
    return this.synced && this.leadership.isLeader() ? this.target.capacity() : 0;
  }

  accept(events: RoomEvent[]): void {
    this.target.accept(events);
  }
}
