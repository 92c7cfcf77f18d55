import type { EventSink } from '../polling/room-poller';
import type { RoomEvent } from '../rooms/room-event';

/** Hands each batch to every sink; one sink failing never stops the others. */
export class EventFanout implements EventSink {
  constructor(
    private readonly sinks: ReadonlyArray<{ name: string; sink: EventSink }>,
    private readonly onEmitted: (events: readonly RoomEvent[]) => void,
    private readonly onError: (sink: string, err: unknown) => void,
  ) {}

  emit(events: readonly RoomEvent[]): void {
    this.onEmitted(events);
    for (const { name, sink } of this.sinks) {
      try {
        sink.emit(events);
      } catch (err) {
        this.onError(name, err);
      }
    }
  }
}
