import type { Clock } from '../clock';
import type { Logger } from '../logger';
import { Fence, StaleLeaderError, StateStore } from '../store/store';
import type { SeenIds } from './seen-ids';

/**
 * Keeps the shared log's ids above what any replica's consumers have seen, across a Redis that lost its
 * data. Every replica reports its own position (events file, webhook) once per interval; nothing is
 * written while the log's counter is ahead of it, i.e. in normal operation. The leader:
 * - at the start of a term, when the counter is missing (a new or emptied Redis), waits `settleMs` for the
 *   other replicas to report before its first commit, and continues above the highest report;
 * - at every interval, continues above a report that arrived later (a replica that reconnected late).
 * What is guaranteed: no commit after a replica's report reuses an id at or below its position. Commits
 * between the loss and a report (a replica cut off from Redis longer than `settleMs`) can: that replica's
 * events file then skips them (it never holds an id twice; README, cluster mode).
 */

/** Every replica reports once a second (one short script; it writes nothing in normal operation). */
export const SEEN_IDS_INTERVAL_MS = 1000;
/**
 * A new leader facing a missing counter waits this long for the reports: one interval, plus a replica's
 * reconnect after Redis came back (redis-connection.ts retries at most 2 s apart, and sooner after a short
 * outage), minus the time the leader itself needed to reconnect and win the lease.
 */
export const SEEN_IDS_SETTLE_MS = 2500;

export interface IdFloorDeps {
  board: SeenIds;
  /** The highest id this replica's own consumers have seen. */
  seen: () => number;
  store: Pick<StateStore, 'lastEventId' | 'continueIdsAfter'>;
  /** The leader's token (undefined while not leading); continuing the ids is a fenced write. */
  fence: () => Fence;
  clock: Clock;
  logger: Logger;
  /** How often every replica reports. */
  intervalMs: number;
  /** How long a new leader waits for reports when the counter is missing. */
  settleMs: number;
}

export class IdFloor {
  private readonly stopper = new AbortController();
  private loop?: Promise<void>;
  private failing = false;

  constructor(private readonly deps: IdFloorDeps) {}

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    await this.loop;
  }

  /**
   * A new term's floor (before its first commit): this replica's own position, and, when the counter is
   * missing, the highest position any replica reported within `settleMs`. Rejects when Redis cannot be
   * read (the term's takeover then retries before polling).
   */
  async floorForTerm(): Promise<number> {
    const own = this.deps.seen();
    await this.deps.board.publish(own);
    if (!(await this.deps.board.counterExists())) await this.deps.clock.sleep(this.deps.settleMs, this.stopper.signal);
    return Math.max(own, await this.deps.board.highest());
  }

  private async run(): Promise<void> {
    const signal = this.stopper.signal;
    while (!signal.aborted) {
      try {
        await this.tick();
        if (this.failing) this.deps.logger.info('reporting the seen event id to redis recovered');
        this.failing = false;
      } catch (err) {
        // Redis down: the lease logs that already; one line per spell here.
        if (!this.failing) this.deps.logger.warn({ err }, 'reporting the seen event id to redis failed; retrying');
        this.failing = true;
      }
      await this.deps.clock.sleep(this.deps.intervalMs, signal).catch(() => undefined);
    }
  }

  private async tick(): Promise<void> {
    await this.deps.board.publish(this.deps.seen());
    const token = this.deps.fence();
    if (token === undefined) return;
    const highest = await this.deps.board.highest();
    const lastId = await this.deps.store.lastEventId();
    if (highest <= lastId) return;
    this.deps.logger.warn({ reportedLastId: highest, storeLastId: lastId }, 'a replica has seen ids above the log (redis lost its data?); the ids continue after them');
    // Refused: the lease moved on meanwhile, and the next leader's own term does this.
    await this.deps.store.continueIdsAfter(highest, token).catch((err: unknown) => {
      if (!(err instanceof StaleLeaderError)) throw err;
    });
  }
}
