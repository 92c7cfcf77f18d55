import type { DiscoveryObserver } from '../discovery/discovery-observer';
import type { SourceKind } from '../discovery/room-registry';

/** One discovery source kind as the status page shows it. */
export interface SourceHealth {
  /** The last request of this kind succeeded (true before the first request). */
  healthy: boolean;
  /** Wall-clock ms of the last successful pass of any target of this kind. */
  lastSuccessMs?: number;
}

/**
 * Remembers how each discovery source kind did last, for the status page, and passes every report on to
 * the metrics. The metrics keep counters; the page wants "is it working now", which counters cannot say.
 */
export class DiscoveryHealth implements DiscoveryObserver {
  private readonly kinds = new Map<SourceKind, SourceHealth>();

  constructor(private readonly next: DiscoveryObserver) {}

  request(source: SourceKind, ok: boolean): void {
    this.entry(source).healthy = ok;
    this.next.request(source, ok);
  }

  passSucceeded(source: SourceKind, target: string, nowMs: number): void {
    const e = this.entry(source);
    e.healthy = true;
    e.lastSuccessMs = nowMs;
    this.next.passSucceeded(source, target, nowMs);
  }

  targetRemoved(source: SourceKind, target: string): void {
    this.next.targetRemoved(source, target);
  }

  rangeSplit(): void {
    this.next.rangeSplit();
  }

  /** Source kinds that have reported at least once. */
  snapshot(): ReadonlyMap<SourceKind, SourceHealth> {
    return this.kinds;
  }

  private entry(kind: SourceKind): SourceHealth {
    let e = this.kinds.get(kind);
    if (!e) this.kinds.set(kind, (e = { healthy: true }));
    return e;
  }
}
