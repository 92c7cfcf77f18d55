import type { SourceKind } from './room-registry';

/** What discovery sources report for metrics; implemented by the metrics sink. */
export interface DiscoveryObserver {
  /** One request of a source (a ListRoomInfo call, a file read, an HTTP fetch). */
  request(source: SourceKind, ok: boolean): void;
  /** A whole pass of a source target (an app, a file glob, a URL) succeeded at `nowMs`. */
  passSucceeded(source: SourceKind, target: string, nowMs: number): void;
  /** A target left the config (reload): its last-success series goes, so no alert fires for it. */
  targetRemoved(source: SourceKind, target: string): void;
  /** ListRoomInfo answered HasMore and the range was split. */
  rangeSplit(): void;
}
