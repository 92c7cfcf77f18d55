import { Counter, Gauge, Registry } from 'prom-client';
import type { RoomEvent } from '../rooms/room-event';

/** What the cluster metrics read at scrape time (from the leader lease). */
export interface ClusterSources {
  leader(): boolean;
  /** Fencing token of the last term this replica held (0 before the first). */
  token(): number;
  /** Terms this replica has won. */
  acquisitions(): number;
  redisUp(): boolean;
}

/**
 * Metrics of a replica in cluster mode, registered only when `cluster` is configured: every replica
 * exports them (leader or not), while the room families come from the leader only (see main).
 */
export class ClusterMetrics {
  private readonly fenced: Counter;

  constructor(registry: Registry, sources: ClusterSources) {
    const r = [registry];
    new Gauge({ name: 'rtc_cluster_leader', help: '1 if this replica holds the leader lease (polls and commits), else 0.', registers: r, collect() { this.set(sources.leader() ? 1 : 0); } });
    new Gauge({ name: 'rtc_cluster_fencing_token', help: 'Fencing token of the last leader term this replica held (grows with every new leader; 0 if never leader).', registers: r, collect() { this.set(sources.token()); } });
    new Counter({ name: 'rtc_cluster_failovers_total', help: 'Times this replica took over the leader lease.', registers: r, collect() { this.reset(); this.inc(sources.acquisitions()); } });
    new Gauge({ name: 'rtc_cluster_redis_up', help: '1 if the last command to Redis succeeded, else 0 (a leader without Redis stops polling).', registers: r, collect() { this.set(sources.redisUp() ? 1 : 0); } });
    this.fenced = new Counter({ name: 'rtc_cluster_fenced_events_total', help: 'Member events withheld because the poll that found them completed after this replica lost the lease.', registers: r });
  }

  /** A commit refused because this replica no longer leads: its events were never committed. */
  uncommitted(events: number): void {
    this.fenced.inc(events);
  }

  withheld(events: readonly RoomEvent[]): void {
    this.fenced.inc(events.length);
  }
}
