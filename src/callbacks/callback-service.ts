import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../clock';
import type { CallbacksConfig } from '../config/schema';
import type { RoomRegistry } from '../discovery/room-registry';
import type { Logger } from '../logger';
import { ConfirmPolls } from '../polling/confirm-polls';
import type { EventSink } from '../polling/room-poller';
import { CALLBACK_ID_RETENTION_MS, StateWriteError, type StateStore } from '../store/store';
import { CallbackCommitter, CallbackIntakeQueue, NotLeaderError } from './callback-intake';
import { CallbackObserver, CallbackReceiver } from './callback-receiver';
import type { CallbackSecrets } from './callback-secrets';
import type { CallbackInbox } from './callback-inbox';
import { isAbortError } from '../clock';

/** How often the leader looks at the inbox when it was empty, and the most entries it applies at once. */
const INBOX_IDLE_MS = 100;
const INBOX_BATCH = 500;
const INBOX_RETRY_MS = 1000;

/** What the callback path needs of the daemon's accounts: a confirm poll and the budget it shares. */
export interface CallbackAccounts {
  /** Poll the room ahead of the sweep through the account's limiter; resolves true when it succeeded. */
  poll(account: string, ref: { appId: string; roomId: string }, signal: AbortSignal): Promise<boolean>;
  backlog(account: string): number;
  rate(account: string): number;
}

export interface CallbackServiceDeps {
  config: CallbacksConfig;
  /** The account of an app that callbacks.apps does not name (the first account). */
  defaultAccount: string;
  secrets: CallbackSecrets;
  observer: CallbackObserver;
  store: CallbackCommitter & { get(appId: string, roomId: string): { exists?: boolean } | undefined };
  state: Pick<StateStore, 'recentCallbackIds'>;
  registry: RoomRegistry;
  /** Make the room store follow the registry now (PollCycle.sync). */
  sync(): void;
  accounts: CallbackAccounts;
  /** Only the leader applies callbacks. */
  isLeader(): boolean;
  /** Cluster mode: the leader's fencing token, and the inbox where standbys store callbacks for it. */
  token?(): number | undefined;
  inbox?: CallbackInbox;
  sink: EventSink;
  clock: Clock;
  logger: Logger;
}

/**
 * The vendor callbacks, wired: the receiver on `callbacks.path`, the intake that commits through the room
 * store, rooms first seen in a callback added to the registry (source `callback`), and confirm polls.
 * The daemon holds one while `callbacks` is configured (a change to it takes effect on restart).
 */
export class CallbackService {
  readonly path: string;
  private readonly receiver: CallbackReceiver;
  private readonly intake: CallbackIntakeQueue;
  private readonly confirms: ConfirmPolls;
  private readonly accountOfApp: Map<string, string>;
  private readonly stopper = new AbortController();
  private inboxLoop?: Promise<void>;

  constructor(private readonly deps: CallbackServiceDeps) {
    const { config, registry, clock, logger } = deps;
    this.path = config.path;
    this.accountOfApp = new Map((config.apps ?? []).filter((a) => a.account !== undefined).map((a) => [a.appId, a.account!]));
    this.confirms = new ConfirmPolls({
      clock,
      delayMs: () => config.confirmAfterMs,
      accountOf: (appId, roomId) => registry.get(appId, roomId)?.account,
      poll: async (target, signal) => {
        const ok = await deps.accounts.poll(target.account, target, signal);
        // As in a sweep: RoomExists false ends a room that no list source holds.
        if (ok && deps.store.get(target.appId, target.roomId)?.exists === false) registry.polled(target.appId, target.roomId, false, clock.now());
      },
      backlog: (account) => deps.accounts.backlog(account),
      rate: (account) => deps.accounts.rate(account),
      logger,
    });
    this.intake = new CallbackIntakeQueue({
      store: deps.store,
      ensureRoom: (appId, roomId) => this.ensureRoom(appId, roomId),
      confirm: (appId, roomId) => this.confirms.request(appId, roomId),
      mayApply: () => deps.isLeader(),
      inbox: deps.inbox,
      sink: deps.sink,
      now: () => clock.now(),
      logger,
    });
    this.receiver = new CallbackReceiver({ maxBodyBytes: config.maxBodyBytes, secretFor: (appId) => deps.secrets.secretFor(appId), intake: this.intake, observer: deps.observer, clock, logger });
  }

  handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    return this.receiver.handle(req, res);
  }

  /** Reads the EventIds committed in the last hour (repeats stay known across a restart), starts confirms. */
  async start(): Promise<void> {
    try {
      this.intake.remember(await this.deps.state.recentCallbackIds(this.deps.clock.now() - CALLBACK_ID_RETENTION_MS));
    } catch (err) {
      this.deps.logger.warn({ err }, 'could not read recent callback ids; repeats of callbacks from before the start are judged by the members\' change times only');
    }
    this.confirms.start();
    if (this.deps.inbox) this.inboxLoop = this.drainInbox(this.deps.inbox);
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    await this.inboxLoop;
    await this.confirms.stop();
  }

  /**
   * The leader applies what standbys stored: the oldest entries, each through the intake (repeats are
   * dropped there), then removes them under the fence. An entry is removed only after every entry before
   * it was applied, so a crash or a lost lease in between repeats some (dropped as repeats), never loses
   * one. Never rejects.
   */
  private async drainInbox(inbox: CallbackInbox): Promise<void> {
    const { clock, logger } = this.deps;
    while (!this.stopper.signal.aborted) {
      let delay = INBOX_IDLE_MS;
      const token = this.deps.token?.();
      if (this.deps.isLeader() && token !== undefined) {
        try {
          const entries = await inbox.peek(INBOX_BATCH);
          if (entries.length > 0) {
            const settled = await Promise.allSettled(entries.map((e) => this.intake.apply(e)));
            // A store that could not commit, or a lost lease: keep them for the next try (or leader).
            // Anything else (a room that cannot be watched) would fail every time: logged and dropped.
            const retry = settled.find((r) => r.status === 'rejected' && (r.reason instanceof StateWriteError || r.reason instanceof NotLeaderError));
            if (retry) throw (retry as PromiseRejectedResult).reason;
            await inbox.remove(entries.length, token);
            if (entries.length === INBOX_BATCH) delay = 0;
          }
        } catch (err) {
          logger.warn({ err }, 'applying callbacks stored by standbys failed; retrying');
          delay = INBOX_RETRY_MS;
        }
      }
      try {
        await clock.sleep(delay, this.stopper.signal);
      } catch (err) {
        if (!isAbortError(err)) logger.error({ err }, 'callback inbox loop: unexpected sleep failure');
      }
    }
  }

  /** A room a callback names is watched from now on: an unknown or retired one joins as source `callback`. */
  private ensureRoom(appId: string, roomId: string): boolean {
    const known = this.deps.registry.get(appId, roomId);
    if (!known || known.retiredAtMs !== undefined) {
      const account = this.accountOfApp.get(appId) ?? this.deps.defaultAccount;
      if (this.deps.registry.callbackSeen({ appId, roomId, account }, this.deps.clock.now())) this.deps.logger.info({ appId, roomId, account }, 'room found by a callback; polling it');
      this.deps.sync();
    }
    return this.deps.store.get(appId, roomId) !== undefined;
  }
}
