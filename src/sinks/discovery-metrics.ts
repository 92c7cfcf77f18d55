import { Counter, Gauge, Registry } from 'prom-client';
import type { DiscoveryObserver } from '../discovery/discovery-observer';
import type { RegistryRoom, SourceKind } from '../discovery/room-registry';
import { escapeLabelValue, TextPiece } from './room-metrics';

const SOURCES: readonly SourceKind[] = ['list_room_info', 'file', 'http'];

export interface DiscoveryMetricsSources {
  /** Every room in the exported set (active and retired), read at scrape time. */
  rooms: () => Iterable<RegistryRoom>;
  retiredTotal: () => number;
  /** Changes whenever the exported set or any room's metadata does (RoomRegistry.version). */
  version: () => number;
}

/**
 * Discovery health and the room metadata families. Registers on the shared prom-client registry; the
 * per-room info family is rendered as text (its label set varies with each room's own labels).
 */
export class DiscoveryMetrics implements DiscoveryObserver {
  private readonly requests: Counter;
  private readonly lastSuccess: Gauge;
  private readonly splits: Counter;
  private roomInfo: { version: number; piece: TextPiece } | undefined;

  constructor(
    registry: Registry,
    private readonly sources: DiscoveryMetricsSources,
  ) {
    this.requests = new Counter({ name: 'rtc_discovery_requests_total', help: 'Requests of discovery sources (ListRoomInfo calls, file reads, HTTP fetches) by source and result.', labelNames: ['source', 'result'], registers: [registry] });
    this.lastSuccess = new Gauge({ name: 'rtc_discovery_last_success_timestamp_seconds', help: 'Unix time of the last successful pass of a discovery source target (an AppId for list_room_info, a glob for file, a URL for http).', labelNames: ['source', 'target'], registers: [registry] });
    this.splits = new Counter({ name: 'rtc_discovery_range_splits_total', help: 'ListRoomInfo time ranges split in two because they held more calls than paging returns (HasMore).', registers: [registry] });
    new Gauge({
      name: 'rtc_discovery_rooms',
      help: 'Rooms being polled, by AppId and the source that holds them (a room held by two sources counts under each).',
      labelNames: ['app_id', 'source'],
      registers: [registry],
      collect() {
        this.reset();
        const counts = new Map<string, { app_id: string; source: string; n: number }>();
        for (const r of sources.rooms()) {
          if (r.retiredAtMs !== undefined) continue;
          for (const source of r.sources) {
            const key = `${r.appId}\u0000${source}`;
            const c = counts.get(key) ?? { app_id: r.appId, source, n: 0 };
            c.n++;
            counts.set(key, c);
          }
        }
        for (const c of counts.values()) this.set({ app_id: c.app_id, source: c.source }, c.n);
      },
    });
    new Counter({
      name: 'rtc_discovery_rooms_retired_total',
      help: 'Rooms retired (no longer polled: call ended, room gone, or dropped by its list source).',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(sources.retiredTotal());
      },
    });
    new Gauge({
      name: 'rtc_discovery_rooms_retiring',
      help: 'Retired rooms whose series are still exported (until discovery.retireAfterSeconds has passed).',
      registers: [registry],
      collect() {
        let n = 0;
        for (const r of sources.rooms()) if (r.retiredAtMs !== undefined) n++;
        this.set(n);
      },
    });
    for (const source of SOURCES) for (const result of ['success', 'failure']) this.requests.inc({ source, result }, 0);
    this.splits.inc(0);
  }

  request(source: SourceKind, ok: boolean): void {
    this.requests.inc({ source, result: ok ? 'success' : 'failure' });
  }

  passSucceeded(source: SourceKind, target: string, nowMs: number): void {
    this.lastSuccess.set({ source, target }, nowMs / 1000);
  }

  targetRemoved(source: SourceKind, target: string): void {
    this.lastSuccess.remove({ source, target });
  }

  rangeSplit(): void {
    this.splits.inc();
  }

  /**
   * rtc_room_info{app_id, room_id, account, source, <labels>} 1 for every exported room, for joins in
   * PromQL (`* on (app_id, room_id) group_left(team) rtc_room_info`), as one piece of the exposition, kept while the registry's version stays the same: the same
   * object scrape after scrape, so its compressed form is cached as well (http/compress.ts). Rendered and
   * compressed on every scrape, 100,000 rooms took most of a second.
   */
  roomInfoPiece(): TextPiece {
    const version = this.sources.version();
    if (this.roomInfo?.version !== version) this.roomInfo = { version, piece: this.renderPiece() };
    return this.roomInfo.piece;
  }

  private renderPiece(): TextPiece {
    let out = '\n# HELP rtc_room_info Metadata of a room: its account, the sources that list it (comma-separated) and the labels its sources give; always 1.\n# TYPE rtc_room_info gauge\n';
    for (const r of this.sources.rooms()) {
      let labels = `app_id="${escapeLabelValue(r.appId)}",room_id="${escapeLabelValue(r.roomId)}",account="${escapeLabelValue(r.account)}",source="${r.sources.join(',')}"`;
      for (const name of Object.keys(r.labels).sort()) labels += `,${name}="${escapeLabelValue(r.labels[name]!)}"`;
      out += `rtc_room_info{${labels}} 1\n`;
    }
    return { text: out };
  }
}
