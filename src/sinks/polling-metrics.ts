import { Gauge, Registry } from 'prom-client';
import { escapeLabelValue, TextPiece } from './room-metrics';

export interface PollingMetricsSources {
  /** polling.strategy in force. */
  strategy: () => string;
  /** The rooms whose series this replica exports (the store's views), read at scrape time. */
  rooms: () => Iterable<{ appId: string; roomId: string }>;
  /** A room's current target interval in seconds (undefined: not polled, e.g. retired). */
  intervalOf: (appId: string, roomId: string) => number | undefined;
}

const HEADER = '\n# HELP rtc_room_poll_interval_seconds Current target seconds between two polls of the room (polling.strategy adaptive: per room; round-robin: the same for every room of an account).\n# TYPE rtc_room_poll_interval_seconds gauge\n';

/** rtc_polling_info{strategy} and the per-room rtc_room_poll_interval_seconds family. */
export class PollingMetrics {
  private last: TextPiece | undefined;

  constructor(
    registry: Registry,
    private readonly sources: PollingMetricsSources,
  ) {
    new Gauge({
      name: 'rtc_polling_info',
      help: 'The polling strategy in force (polling.strategy); always 1.',
      labelNames: ['strategy'],
      registers: [registry],
      collect() {
        this.reset();
        this.set({ strategy: sources.strategy() }, 1);
      },
    });
  }

  /**
   * The per-room interval family as one piece of the exposition, rendered at scrape time. When the text
   * is the same as the last scrape's, the same object is returned, so its compressed form stays cached.
   */
  intervalsPiece(): TextPiece {
    let out = HEADER;
    let any = false;
    for (const r of this.sources.rooms()) {
      const v = this.sources.intervalOf(r.appId, r.roomId);
      if (v === undefined) continue;
      any = true;
      out += `rtc_room_poll_interval_seconds{app_id="${escapeLabelValue(r.appId)}",room_id="${escapeLabelValue(r.roomId)}"} ${round(v)}\n`;
    }
    const text = any ? out : '';
    if (this.last?.text !== text) this.last = { text };
    return this.last;
  }
}

/** Millisecond precision: the scheduler works in milliseconds, and fewer digits keep the text stable. */
function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}
