import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../clock';
import type { CallbacksConfig } from '../config/schema';
import type { RoomRegistry } from '../discovery/room-registry';
import type { Logger } from '../logger';
import { ConfirmPolls } from '../polling/confirm-polls';
import type { EventSink } from '../polling/room-poller';
import { CALLBACK_ID_RETENTION_MS, type StateStore } from '../store/store';
import { CallbackCommitter, CallbackIntakeQueue } from './callback-intake';
import { CallbackObserver, CallbackReceiver } from './callback-receiver';
import type { CallbackSecrets } from './callback-secrets';

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
  }

  stop(): Promise<void> {
    return this.confirms.stop();
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
