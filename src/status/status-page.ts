import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import type { DaemonStatus } from './daemon-status';
import type { EventFeed } from './event-feed';
import { DEFAULT_STREAM, EventStream, EventStreamOptions } from './event-stream';
import { DEFAULT_OCCUPANCY, OccupancyHistory, OccupancyHistoryOptions } from './occupancy-history';
import { OccupancySampler, OccupancySource } from './occupancy-sampler';
import { RecentRoomEvents } from './recent-room-events';
import { loadStatusAssets } from './status-assets';
import { RoomsSource, StatusRoutes } from './status-routes';

export interface StatusPageDeps {
  rooms: RoomsSource;
  /** The rooms' counts for the occupancy history (the store). */
  counts: OccupancySource;
  feed: EventFeed;
  status: () => DaemonStatus;
  clock: Clock;
  logger: Logger;
  /** How often room counts are copied into the occupancy history. */
  sampleIntervalMs?: number;
  occupancy?: OccupancyHistoryOptions;
  stream?: EventStreamOptions;
  eventsPerRoom?: number;
}

/** The status page's parts put together: routes for the HTTP server, and the occupancy sampling timer. */
export class StatusPage {
  readonly history: OccupancyHistory;
  readonly recent: RecentRoomEvents;
  readonly stream: EventStream;
  private readonly routes: StatusRoutes;
  private readonly sampler: OccupancySampler;
  private timer?: NodeJS.Timeout;

  constructor(private readonly deps: StatusPageDeps) {
    this.history = new OccupancyHistory(deps.occupancy ?? DEFAULT_OCCUPANCY);
    this.sampler = new OccupancySampler(this.history, deps.counts);
    this.recent = new RecentRoomEvents(deps.feed, deps.eventsPerRoom ?? 20, (key) => deps.counts.hasRoom(key));
    this.stream = new EventStream(deps.feed, deps.logger, deps.stream ?? DEFAULT_STREAM);
    this.routes = new StatusRoutes({ rooms: deps.rooms, status: deps.status, history: this.history, recent: this.recent, stream: this.stream, assets: loadStatusAssets(), clock: deps.clock });
  }

  handle(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    return this.routes.handle(req, res, path);
  }

  /** Copy room counts into the history now; drop state of rooms that are gone. */
  sample(): void {
    const rooms = this.sampler.sample();
    if (rooms) this.recent.retain(rooms);
  }

  start(): void {
    this.timer ??= setInterval(() => {
      try {
        this.sample();
      } catch (err) {
        this.deps.logger.error({ err }, 'occupancy sampling failed');
      }
    }, this.deps.sampleIntervalMs ?? 5000);
    this.timer.unref();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.recent.close();
    this.stream.closeAll();
  }
}
