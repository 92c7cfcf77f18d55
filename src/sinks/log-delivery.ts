import type { Clock } from '../clock';
import type { Logger } from '../logger';
import type { RoomEvent } from '../rooms/room-event';
import { Fence, StaleLeaderError, StateStore } from '../store/store';

/** The part of the store a delivery reads: the committed log and its own cursor. */
export type EventLog = Pick<StateStore, 'readEvents' | 'lastEventId' | 'onCommitted' | 'getCursor' | 'setCursor'>;

/** Where a delivery hands events: the file writer or the webhook batcher. */
export interface DeliveryTarget {
  /** How many more events it can take right now; 0 pauses reading until `wake()`. */
  capacity(): number;
  /** Take events, in id order. Throwing means "not taken": they are offered again after a pause. */
  accept(events: RoomEvent[]): void;
}

export interface DeliveryObserver {
  /** Events retention removed before this sink delivered them. */
  lost(n: number): void;
  /** Committed events this sink has not finished with yet. */
  backlog(n: number): void;
  /** A read or hand-over failed (counted every time; logged once per spell). */
  failed(): void;
}

export interface LogDeliveryOptions {
  /** Cursor name in the store, e.g. `file` or `webhook`. */
  name: string;
  /** At most this many events per read. */
  batch: number;
  /**
   * true: an event is done once accepted (the file: written). false: the target calls `ack(id)` when it
   * is done (the webhook: after the receiver's 2xx).
   */
  ackOnAccept: boolean;
}

/** Pause between reads after an error, and the longest wait without a commit notification. */
const IDLE_MS = 1000;

/**
 * Delivers the committed event log to one target from that target's own cursor: the log is the outbox,
 * so nothing is lost while the target is slow or down (within retention), and a restart resumes at the
 * cursor. One loop, never overlapping itself, never rejecting; errors are logged once per spell.
 */
export class LogDelivery {
  private readPos = 0;
  private acked = 0;
  private lastId = 0;
  private closed = false;
  private pending = false;
  private wakeCtl = new AbortController();
  private unsubscribe: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private saving: Promise<void> = Promise.resolve();
  private failing = false;
  private idleWaiters: Array<() => void> = [];
  /** Bumped by resync(): a read that started before it is not handed over (its position is stale). */
  private generation = 0;

  constructor(
    private readonly log: EventLog,
    private readonly target: DeliveryTarget,
    private readonly opts: LogDeliveryOptions,
    private readonly deps: {
      clock: Clock;
      logger: Logger;
      observer: DeliveryObserver;
      /** The token cursor writes carry (Leadership.token()); the store refuses a stale one. */
      fence: () => Fence;
    },
  ) {}

  /**
   * Start after `startAfter` if given (the file sink knows what its file holds), else after the stored
   * cursor; a sink seen for the first time starts at the end of the log. The start is stored at once, so
   * events committed before the first delivery are not skipped after a crash.
   */
  async start(startAfter?: number): Promise<number> {
    this.lastId = await this.log.lastEventId();
    const stored = await this.log.getCursor(this.opts.name);
    this.readPos = startAfter ?? stored ?? this.lastId;
    this.acked = this.readPos;
    if (stored !== this.readPos) await this.saveCursor(this.readPos);
    this.unsubscribe = this.log.onCommitted((id) => {
      this.lastId = Math.max(this.lastId, id);
      this.reportBacklog();
      this.wake();
    });
    this.loop = this.run();
    return this.readPos;
  }

  /**
   * Continue from the stored cursor, which another process may have moved (a replica that becomes the
   * leader takes the webhook over from where the previous leader's receiver acknowledged).
   */
  async resync(): Promise<void> {
    const stored = await this.log.getCursor(this.opts.name);
    this.generation++;
    // Without a stored cursor, from what this process had finished with (never past an unacknowledged event).
    this.readPos = stored ?? this.acked;
    this.acked = this.readPos;
    // The first leader of a shared cursor stores where it starts (its start could not: it did not lead
    // then), so the leaders after it resume from there, not from wherever each of them started.
    if (stored === undefined) await this.saveCursor(this.readPos);
    this.reportBacklog();
    this.wake();
  }

  /** Something changed (new events, or the target has room again). */
  wake(): void {
    this.pending = true;
    this.wakeCtl.abort();
  }

  /** The target finished with every event up to `id` (ackOnAccept: false). */
  ack(id: number): void {
    if (id <= this.acked) return;
    this.acked = id;
    this.reportBacklog();
    // Serialised, so an older cursor never overwrites a newer one.
    this.saving = this.saving
      .then(() => this.saveCursor(id))
      .catch((err: unknown) => {
        this.deps.logger.error({ sink: this.opts.name, err }, 'saving the delivery cursor failed; events after the last saved cursor may be delivered again');
      });
    if (this.acked >= this.lastId) this.resolveIdle();
  }

  /** Resolve when everything committed so far is done (acked), or at `deadlineMs` on the clock. */
  async drain(deadlineMs: number): Promise<boolean> {
    this.lastId = Math.max(this.lastId, await this.log.lastEventId().catch(() => this.lastId));
    this.wake();
    const timer = new AbortController();
    try {
      while (this.acked < this.lastId) {
        const left = deadlineMs - this.deps.clock.now();
        if (left <= 0 || this.closed) return false;
        const idle = new Promise<void>((resolve) => this.idleWaiters.push(resolve));
        await Promise.race([idle, this.deps.clock.sleep(Math.min(left, IDLE_MS), timer.signal).catch(() => undefined)]);
      }
      return true;
    } finally {
      timer.abort();
      await this.saving;
    }
  }

  async stop(): Promise<void> {
    this.closed = true;
    this.unsubscribe?.();
    this.wake();
    await this.loop;
    await this.saving;
  }

  position(): { read: number; acked: number } {
    return { read: this.readPos, acked: this.acked };
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      try {
        if (!(await this.step())) await this.idle(IDLE_MS);
        if (this.failing) {
          this.failing = false;
          this.deps.logger.info({ sink: this.opts.name }, 'event delivery from the log recovered');
        }
      } catch (err) {
        this.deps.observer.failed();
        if (!this.failing) {
          this.failing = true;
          this.deps.logger.error({ sink: this.opts.name, err }, 'event delivery from the log failing; retrying');
        }
        await this.idle(IDLE_MS);
      }
    }
  }

  /** One read and hand-over; false when there was nothing to do. */
  private async step(): Promise<boolean> {
    this.pending = false;
    const room = Math.min(this.opts.batch, this.target.capacity());
    if (room <= 0) return false;
    const generation = this.generation;
    const events = await this.log.readEvents(this.readPos, room);
    // A resync (a new term) moved the position while this read ran: read again from there.
    if (generation !== this.generation) return true;
    if (events.length === 0) return false;
    const first = events[0]!.id;
    if (first > this.readPos + 1) {
      const n = first - this.readPos - 1;
      this.deps.observer.lost(n);
      this.deps.logger.warn({ sink: this.opts.name, lost: n, afterId: this.readPos, resumedAt: first }, 'events were removed by retention before this sink delivered them');
    }
    this.target.accept(events);
    const last = events[events.length - 1]!.id;
    this.readPos = last;
    this.lastId = Math.max(this.lastId, last);
    if (this.opts.ackOnAccept) this.ack(last);
    else this.reportBacklog();
    return true;
  }

  /**
   * A cursor write refused by the fence is not a failure: this replica does not lead (a standby's own
   * events file takes its position from the file), and the leader's cursor is the one that counts.
   */
  private async saveCursor(id: number): Promise<void> {
    try {
      await this.log.setCursor(this.opts.name, id, this.deps.fence());
    } catch (err) {
      if (err instanceof StaleLeaderError) return void this.deps.logger.debug({ sink: this.opts.name, cursor: id }, 'not the leader: delivery cursor not saved');
      throw err;
    }
  }

  private async idle(ms: number): Promise<void> {
    if (this.pending || this.closed) return;
    this.wakeCtl = new AbortController();
    const woken = await this.deps.clock.sleep(ms, this.wakeCtl.signal).then(
      () => false,
      () => true,
    );
    // Commits that land together (a group of callbacks, one per room) wake this loop once each; one turn
    // of the event loop lets them all land, so they are read in one go rather than one read per commit.
    if (woken && !this.closed) await new Promise<void>((resolve) => setImmediate(resolve));
  }

  private reportBacklog(): void {
    this.deps.observer.backlog(Math.max(0, this.lastId - this.acked));
  }

  private resolveIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
