import type { Clock } from '../clock';
import { PeriodicTask } from '../discovery/periodic-task';
import type { Logger } from '../logger';
import type { RoomEvent } from '../rooms/room-event';

/** The part of the store the follower reads: the committed log. */
export interface CommittedLog {
  readEvents(afterId: number, limit: number): Promise<RoomEvent[]>;
}

/** The part of the status feed the follower fills. */
export interface FollowedFeed {
  latestId(): number;
  emit(events: readonly RoomEvent[]): void;
}

export interface FeedFollowerOptions {
  /** True while the feed must be filled from the log (a standby on a shared store). */
  active: () => boolean;
  clock: Clock;
  logger: Logger;
  intervalMs?: number;
  batch?: number;
}

const DEFAULT_INTERVAL_MS = 1000;
const DEFAULT_BATCH = 500;

/**
 * Fills the status page's live feed from the shared event log while this replica does not commit: the
 * feed is filled from the commit path (the sinks), and a standby commits nothing, so without this its
 * page shows no live events although the leader's are in the shared Redis stream. Each run reads every
 * event after the newest the feed holds. When the replica becomes the leader one more run picks up what
 * the previous leader committed meanwhile; from then on its own commits reach the feed through the sinks
 * (the feed drops an id it already holds, so an event seen both ways is shown once).
 */
export class FeedFollower {
  private readonly task: PeriodicTask;
  private wasActive = false;
  private failing = false;

  constructor(
    private readonly log: CommittedLog,
    private readonly feed: FollowedFeed,
    private readonly opts: FeedFollowerOptions,
  ) {
    // PeriodicTask is the daemon's one never-overlapping, cancellable loop; reused rather than copied.
    this.task = new PeriodicTask('status feed follower', () => opts.intervalMs ?? DEFAULT_INTERVAL_MS, (signal) => this.run(signal), opts.clock, opts.logger);
  }

  start(): void {
    this.task.start();
  }

  stop(): Promise<void> {
    return this.task.stop();
  }

  private async run(signal: AbortSignal): Promise<void> {
    const active = this.opts.active();
    // The last run after becoming leader catches up with what the old leader committed meanwhile.
    if (!active && !this.wasActive) return;
    this.wasActive = active;
    try {
      await this.catchUp(signal);
      if (this.failing) {
        this.failing = false;
        this.opts.logger.info('status feed: reading the shared event log recovered');
      }
    } catch (err) {
      // Logged once per spell; the next run retries from the same id.
      if (!this.failing) {
        this.failing = true;
        this.opts.logger.warn({ err }, 'status feed: reading the shared event log failed; retrying');
      }
    }
  }

  private async catchUp(signal: AbortSignal): Promise<void> {
    const batch = this.opts.batch ?? DEFAULT_BATCH;
    while (!signal.aborted) {
      const after = this.feed.latestId();
      const events = await this.log.readEvents(after, batch);
      if (events.length > 0) this.feed.emit(events);
      // A short read is the end of the log; a read that did not move the feed on would repeat forever.
      if (events.length < batch || this.feed.latestId() <= after) return;
    }
  }
}
