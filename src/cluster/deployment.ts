import type { Clock } from '../clock';
import type { Config } from '../config/schema';
import type { Logger } from '../logger';
import type { EventSink } from '../polling/room-poller';
import type { RoomEvent } from '../rooms/room-event';
import { openStore, OpenedStore } from '../store/open-store';
import type { StateStore } from '../store/store';
import { ForeignFileError, NewerSchemaError, StoreInUseError } from '../store/store-file';
import { FencedSink } from './fenced-sink';
import { LeaderOnlyStore } from './leader-only-store';
import { AlwaysLeader, Leadership, leaderFence } from './leadership';
import { buildRedisCluster, RedisCluster } from './redis-cluster';
import type { SeenIds } from './seen-ids';

/**
 * The deployment is chosen once, here, from the config: one process; replicas with their own stores; or
 * replicas sharing the Redis store. It hands out the parts that differ between them, and main wires those
 * parts without asking which it got (issue #18: no `backend === 'redis' && cluster` test anywhere else).
 *
 * Every store is fenced by the same rule (the write carries Leadership.token(); the store refuses a stale
 * one); what differs is where the fence is checked (the Redis scripts, or the lease in this process), where
 * a new leader's baselines come from, and which sinks follow the leader.
 */
export type DeploymentKind = 'single' | 'replicas-own-store' | 'replicas-shared-store';

export interface Deployment {
  readonly kind: DeploymentKind;
  readonly leadership: Leadership;
  /** The Redis connection, lease and shared limiters of a replicated deployment. */
  readonly cluster?: RedisCluster;
  /** Where a new leader's baselines come from (DaemonDeps.leaderBaseline). */
  readonly leaderBaseline: 'committed' | 'empty';
  /**
   * The leadership the webhook follows, when its cursor is shared (only the leader sends, from the shared
   * cursor); undefined when every process delivers its own log.
   */
  readonly webhookLeader?: Leadership;
  /**
   * Where the replicas report what their consumers have seen of a shared log, so that its ids continue
   * above all of them after Redis lost its data (id-floor.ts); undefined when each process has its own log.
   */
  readonly seenIds?: SeenIds;
  /** Open the state store; throws with a message fit for stderr (it names the config key). */
  openState(counters: { uncommitted(events: number): void }): Promise<OpenedStore>;
  /** The member-event fan-out as the pollers see it. */
  gateSink(sink: EventSink, withheld: (events: readonly RoomEvent[]) => void): EventSink;
}

export function chooseDeployment(config: Config, deps: { redisPassword?: string; logger: Logger; monotonic: Clock }): Deployment {
  if (!config.cluster) {
    const leadership = new AlwaysLeader();
    return {
      kind: 'single',
      leadership,
      leaderBaseline: 'committed',
      openState: async () => openLocal(config.state, leadership),
      gateSink: (sink) => sink,
    };
  }
  const cluster = buildRedisCluster(config.cluster, { password: deps.redisPassword, logger: deps.logger, monotonic: deps.monotonic });
  const leadership = cluster.lease;
  if (config.state.backend === 'redis') {
    const connectMs = Math.max(config.cluster.redis.connectTimeoutMs, 10_000);
    return {
      kind: 'replicas-shared-store',
      leadership,
      cluster,
      leaderBaseline: 'committed',
      webhookLeader: leadership,
      seenIds: cluster.makeSeenIds(),
      openState: async () => {
        // The shared store is read before anything starts (baselines, the events file's position).
        try {
          await cluster.connected(connectMs);
        } catch (err) {
          throw new Error(`state.backend: redis: cannot reach cluster.redis.url: ${(err as Error).message}`);
        }
        return { store: cluster.makeStore(config.state.retention) };
      },
      // A deposed leader's commit is refused inside Redis, so whatever a poll returns is committed and
      // belongs in the log: withholding it would only drop it from the log sink and the status feed.
      gateSink: (sink) => sink,
    };
  }
  return {
    kind: 'replicas-own-store',
    leadership,
    cluster,
    // A replica's own store missed what the other leaders committed: a re-elected replica starts afresh.
    leaderBaseline: 'empty',
    openState: async (counters) => {
      const opened = openLocal(config.state, leadership);
      const store: StateStore = new LeaderOnlyStore(opened.store, leadership, (n) => counters.uncommitted(n));
      return { ...opened, store };
    },
    gateSink: (sink, withheld) => new FencedSink(sink, leadership, withheld),
  };
}

/** A store of this process only (memory, SQLite), fenced by this process's leadership. */
function openLocal(state: Config['state'], leadership: Leadership): OpenedStore {
  try {
    return openStore(state, Date.now, leaderFence(leadership));
  } catch (err) {
    if (err instanceof ForeignFileError || err instanceof StoreInUseError || err instanceof NewerSchemaError) throw err;
    throw new Error(`state.file: cannot open ${state.file}: ${(err as Error).message}`);
  }
}
