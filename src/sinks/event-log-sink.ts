import type { Logger } from '../logger';
import type { EventSink } from '../polling/room-poller';
import type { RoomEvent } from '../rooms/room-event';

/** Each event as one pino line on stdout: the event's own fields plus pino's level and msg. */
export class EventLogSink implements EventSink {
  constructor(private readonly logger: Logger) {}

  emit(events: readonly RoomEvent[]): void {
    for (const e of events) this.logger.info(e, `member ${e.type}`);
  }
}
