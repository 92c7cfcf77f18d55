import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CycleObserver } from '../scheduler/cycle-scheduler';
import type { PollObserver } from '../polling/room-poller';
import type { RoomEvent } from '../rooms/room-event';
import type { RoomView } from '../rooms/room-store';
import type { RoomRef, RequestObserver } from '../volc/client';
import type { ApiError } from '../volc/errors';
import { RoomFamiliesRenderer, TextPiece } from './room-metrics';

/** Live values the metrics read at scrape time, supplied by main. */
export interface MetricsSources {
  rooms: () => Iterable<RoomView>;
  roomCount: () => number;
  configuredQps: () => number;
  effectiveQps: () => number;
  /** Expected seconds between two polls of one room. */
  pollIntervalSeconds: () => number;
  version: string;
}

/**
 * The Prometheus registry and every observer interface the pipeline reports through. Upstream modules
 * only know the narrow observer interfaces; only this file knows metric names.
 */
export class Metrics implements PollObserver, CycleObserver, RequestObserver {
  readonly registry = new Registry();
  private readonly roomFamilies = new RoomFamiliesRenderer();

  private readonly apiRequests = new Counter({ name: 'rtc_api_requests_total', help: 'Vendor API requests by action and outcome code (Success, the vendor error code, or Timeout/ConnectionError/HttpError/MalformedResponse).', labelNames: ['action', 'code'], registers: [this.registry] });
  private readonly apiDuration = new Histogram({ name: 'rtc_api_request_duration_seconds', help: 'Vendor API request latency, including failed requests.', labelNames: ['action'], buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [this.registry] });
  private readonly apiRetries = new Counter({ name: 'rtc_api_retries_total', help: 'Requests retried after a retryable failure (each retry waits for the rate limiter).', labelNames: ['action'], registers: [this.registry] });
  private readonly permits = new Counter({ name: 'rtc_ratelimit_permits_total', help: 'Requests the rate limiter let start.', registers: [this.registry] });
  private readonly wait = new Histogram({ name: 'rtc_ratelimit_wait_seconds', help: 'Time a request waited for the rate limiter.', buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300], registers: [this.registry] });
  private readonly throttledTotal = new Counter({ name: 'rtc_ratelimit_throttled_total', help: 'Responses that said the account is over its rate (HTTP 429 / FlowLimitExceeded*).', registers: [this.registry] });
  private readonly cycles = new Counter({ name: 'rtc_poll_cycles_total', help: 'Completed poll cycles (each polls every configured room once).', registers: [this.registry] });
  private readonly cycleDuration = new Histogram({ name: 'rtc_poll_cycle_duration_seconds', help: 'Duration of poll cycles.', buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800], registers: [this.registry] });
  private readonly overruns = new Counter({ name: 'rtc_poll_cycle_overruns_total', help: 'Schedule ticks that came while a cycle was still running; they coalesce into one immediate next cycle.', registers: [this.registry] });
  private readonly lastCycle = new Gauge({ name: 'rtc_poll_cycle_last_completed_timestamp_seconds', help: 'Unix time the last poll cycle completed.', registers: [this.registry] });
  private readonly events = new Counter({ name: 'rtc_events_total', help: 'Member events emitted, by type.', labelNames: ['type'], registers: [this.registry] });
  private readonly sinkErrors = new Counter({ name: 'rtc_event_sink_errors_total', help: 'Errors writing events to a sink.', labelNames: ['sink'], registers: [this.registry] });
  readonly reloadOk = new Gauge({ name: 'rtc_config_last_reload_successful', help: '1 if the last config (re)load succeeded, 0 if it was rejected and the previous config kept.', registers: [this.registry] });
  readonly reloadTime = new Gauge({ name: 'rtc_config_last_reload_success_timestamp_seconds', help: 'Unix time of the last successful config load.', registers: [this.registry] });
  readonly stateSaves = new Counter({ name: 'rtc_state_saves_total', help: 'State file saves by result.', labelNames: ['result'], registers: [this.registry] });
  readonly stateSaveTime = new Gauge({ name: 'rtc_state_last_save_timestamp_seconds', help: 'Unix time of the last successful state file save.', registers: [this.registry] });
  readonly webhookQueue = new Gauge({ name: 'rtc_webhook_queue_events', help: 'Events waiting for webhook delivery.', registers: [this.registry] });
  readonly webhookDropped = new Counter({ name: 'rtc_webhook_dropped_events_total', help: 'Events dropped because the webhook queue was full or delivery gave up.', labelNames: ['reason'], registers: [this.registry] });
  readonly webhookDeliveries = new Counter({ name: 'rtc_webhook_deliveries_total', help: 'Webhook batch delivery attempts by result.', labelNames: ['result'], registers: [this.registry] });

  constructor(private readonly sources: MetricsSources) {
    const r = this.registry;
    new Gauge({ name: 'rtc_ratelimit_qps', help: 'Configured request rate cap (rateLimit.qps).', registers: [r], collect() { this.set(sources.configuredQps()); } });
    new Gauge({ name: 'rtc_ratelimit_effective_qps', help: 'Rate the limiter currently allows (lower than the cap after throttling, recovering gradually).', registers: [r], collect() { this.set(sources.effectiveQps()); } });
    new Gauge({ name: 'rtc_poll_interval_seconds', help: 'Expected seconds between polls of one room: max(schedule period, rooms / qps).', registers: [r], collect() { this.set(sources.pollIntervalSeconds()); } });
    new Gauge({ name: 'rtc_rooms_configured', help: 'Rooms in the configuration.', registers: [r], collect() { this.set(sources.roomCount()); } });
    new Gauge({ name: 'rtc_monitor_build_info', help: 'Build information; always 1.', labelNames: ['version', 'node_version'], registers: [r] }).set({ version: sources.version, node_version: process.version }, 1);
    // 100 ms event-loop sampling instead of 10 ms: lag percentiles stay useful at a tenth of the idle CPU.
    collectDefaultMetrics({ register: r, eventLoopMonitoringPrecision: 100 });
    // prom-client exports these gauges with a `_total` suffix, which Prometheus reserves for counters
    // (promtool check metrics flags them); the same values remain without the suffix.
    for (const n of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) r.removeSingleMetric(n);
    for (const type of ['join', 'leave', 'visibility_change']) this.events.inc({ type }, 0);
    this.apiRequests.inc({ action: 'GetRoomOnlineUsers', code: 'Success' }, 0);
    this.apiRetries.inc({ action: 'GetRoomOnlineUsers' }, 0);
    // Known label values start at 0, so rate() and increase() work from the first scrape.
    for (const reason of ['queue_full', 'gave_up']) this.webhookDropped.inc({ reason }, 0);
    for (const result of ['success', 'failure']) {
      this.webhookDeliveries.inc({ result }, 0);
      this.stateSaves.inc({ result }, 0);
    }
    for (const sink of ['log', 'file', 'webhook']) this.sinkErrors.inc({ sink }, 0);
  }

  requestDone(action: string, code: string, durationSeconds: number): void {
    this.apiRequests.inc({ action, code });
    this.apiDuration.observe({ action }, durationSeconds);
  }

  permitWaited(seconds: number): void {
    this.permits.inc();
    this.wait.observe(seconds);
  }

  retried(): void {
    this.apiRetries.inc({ action: 'GetRoomOnlineUsers' });
  }

  throttled(): void {
    this.throttledTotal.inc();
  }

  failed(_ref: RoomRef, _err: ApiError): void {
    // Per-room failures are counted in the room state (rtc_room_poll_failures_total).
  }

  cycleDone(durationSeconds: number): void {
    this.cycles.inc();
    this.cycleDuration.observe(durationSeconds);
  }

  /** Wall-clock end of the last cycle (the scheduler only knows monotonic time). */
  cycleCompletedAt(endMs: number): void {
    this.lastCycle.set(endMs / 1000);
  }

  overrun(missedTicks: number): void {
    this.overruns.inc(missedTicks);
  }

  eventsEmitted(events: readonly RoomEvent[]): void {
    for (const e of events) this.events.inc({ type: e.type });
  }

  sinkError(sink: string): void {
    this.sinkErrors.inc({ sink });
  }

  /** The whole exposition: prom-client's registry, then the room families read from the room state. */
  async render(): Promise<string> {
    return (await this.renderSegments()).map((p) => p.text).join('');
  }

  /**
   * The same exposition as ordered pieces of text. The room families' pieces are cached between scrapes
   * (room-metrics.ts): a piece that did not change is the same object as in the last call, so the HTTP
   * layer can keep its compressed form too.
   */
  async renderSegments(): Promise<TextPiece[]> {
    return [{ text: `${await this.registry.metrics()}\n` }, ...this.roomFamilies.segments(this.sources.rooms())];
  }

  contentType(): string {
    return this.registry.contentType;
  }
}
