import { Clock, isAbortError } from '../clock';
import type { Logger } from '../logger';
import { roomKey } from '../rooms/room-event';

/** One room to confirm, with the account whose limiter and key poll it. */
export interface ConfirmTarget {
  appId: string;
  roomId: string;
  account: string;
}

export interface ConfirmPollsDeps {
  /** Wall clock: due times follow the callbacks' receipt. */
  clock: Clock;
  /** callbacks.confirmAfterMs of the config in force. */
  delayMs(): number;
  /** The room's account now, or undefined when it is no longer watched. */
  accountOf(appId: string, roomId: string): string | undefined;
  /** Poll the room ahead of the sweep (still through the account's limiter); never rejects. */
  poll(target: ConfirmTarget, signal: AbortSignal): Promise<unknown>;
  /** Polls waiting for the account's limiter now: the sweep's backlog. */
  backlog(account: string): number;
  /** The account's current rate (requests a second). */
  rate(account: string): number;
  logger: Logger;
}

/** The longest a quiet loop sleeps before looking again (a new request wakes it earlier). */
const IDLE_SLEEP_MS = 1000;
/** While confirms wait for their share, how often the sweep's backlog is looked at again. */
const BACKLOG_RECHECK_MS = 100;

/**
 * Confirm polls: a room that got a callback is polled again `delayMs` later, ahead of the sweep, so a
 * callback's event is checked against the vendor's list within seconds. One pending confirm per room
 * (more callbacks coalesce into it). They share the account's budget with the sweep and must not starve
 * it: while the sweep has polls waiting, confirms start at most half the account's rate in any rolling
 * second; the rest wait, and the sweep that repairs what callbacks lose goes on.
 */
export class ConfirmPolls {
  private readonly due = new Map<string, { target: ConfirmTarget; dueMs: number }>();
  private readonly inFlight = new Map<string, Promise<unknown>>();
  /** Start times of confirms in the last second, per account. */
  private readonly starts = new Map<string, number[]>();
  private readonly stopper = new AbortController();
  private wake?: AbortController;
  /** When the loop's current sleep ends: a request due later need not wake it (an abort costs an error object). */
  private sleepingUntil = 0;
  private loop?: Promise<void>;

  constructor(private readonly deps: ConfirmPollsDeps) {}

  /** The room got a callback: confirm it `delayMs` from now (an earlier pending confirm stands). */
  request(appId: string, roomId: string): void {
    const account = this.deps.accountOf(appId, roomId);
    if (account === undefined || this.stopper.signal.aborted) return;
    const key = roomKey(appId, roomId);
    if (this.due.has(key)) return;
    const dueMs = this.deps.clock.now() + this.deps.delayMs();
    this.due.set(key, { target: { appId, roomId, account }, dueMs });
    if (dueMs < this.sleepingUntil) this.wake?.abort();
  }

  pending(): number {
    return this.due.size;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Stop taking requests, drop the pending ones, and wait for those in flight. */
  async stop(): Promise<void> {
    this.stopper.abort();
    this.wake?.abort();
    this.due.clear();
    await this.loop;
    await Promise.allSettled(this.inFlight.values());
  }

  /** Never rejects: every failure is the poller's to count, and sleeps end only by abort. */
  private async run(): Promise<void> {
    while (!this.stopper.signal.aborted) {
      const next = this.startDue();
      this.wake = new AbortController();
      const ms = Math.max(0, Math.min(IDLE_SLEEP_MS, next - this.deps.clock.now()));
      this.sleepingUntil = this.deps.clock.now() + ms;
      try {
        await this.deps.clock.sleep(ms, this.wake.signal);
      } catch (err) {
        if (!isAbortError(err)) this.deps.logger.error({ err }, 'confirm poll loop: unexpected sleep failure');
      }
    }
  }

  /** Starts every confirm that is due and allowed; returns when to look again. */
  private startDue(): number {
    const now = this.deps.clock.now();
    let next = now + IDLE_SLEEP_MS;
    const ordered = [...this.due.entries()].sort((a, b) => a[1].dueMs - b[1].dueMs);
    for (const [key, { target, dueMs }] of ordered) {
      if (dueMs > now) {
        next = Math.min(next, dueMs);
        break;
      }
      // One poll of a room at a time; the pending confirm runs after the one in flight.
      if (this.inFlight.has(key)) continue;
      const account = this.deps.accountOf(target.appId, target.roomId);
      if (account === undefined) {
        this.due.delete(key);
        continue;
      }
      const recent = (this.starts.get(account) ?? []).filter((t) => t > now - 1000);
      this.starts.set(account, recent);
      const share = Math.max(1, Math.floor(this.deps.rate(account) / 2));
      if (this.deps.backlog(account) > 0 && recent.length >= share) {
        // Look again when the window frees, or soon if the sweep's backlog clears first.
        next = Math.min(next, recent[0]! + 1000, now + BACKLOG_RECHECK_MS);
        continue;
      }
      recent.push(now);
      this.due.delete(key);
      const running = this.deps.poll({ ...target, account }, this.stopper.signal).catch((err: unknown) => this.deps.logger.error({ err, appId: target.appId, roomId: target.roomId }, 'confirm poll failed unexpectedly'));
      const done = running.finally(() => {
        this.inFlight.delete(key);
        this.wake?.abort();
      });
      this.inFlight.set(key, done);
    }
    return next;
  }
}
