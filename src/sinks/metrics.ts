import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CycleObserver } from '../scheduler/cycle-scheduler';
import type { PollObserver } from '../polling/room-poller';
import type { RoomEvent } from '../rooms/room-event';
import type { RoomView } from '../store/room-store';
import type { RequestObserver } from '../volc/client';
import { boundedCode } from '../volc/errors';
import { RoomFamiliesRenderer, TextPiece } from './room-metrics';
import type { CallbackObserver } from '../callbacks/callback-receiver';
import { MEMBER_EVENT_TYPES } from '../callbacks/member-callback';
import type { CallbackResult } from '../callbacks/callback-check';

/** Live values the metrics read at scrape time, supplied by main. */
export interface MetricsSources {
  rooms: () => Iterable<RoomView>;
  roomCount: () => number;
  /** Each account's configured cap and current rate for GetRoomOnlineUsers. */
  rates: () => Iterable<{ account: string; configuredQps: number; effectiveQps: number }>;
  /** Expected seconds between two polls of one room. */
  pollIntervalSeconds: () => number;
  version: string;
}

/**
 * The Prometheus registry and every observer interface the pipeline reports through. Upstream modules
 * only know the narrow observer interfaces; only this file knows metric names.
 */
export class Metrics implements CycleObserver {
  readonly registry = new Registry();
  private readonly roomFamilies = new RoomFamiliesRenderer();

  private readonly apiRequests = new Counter({ name: 'rtc_api_requests_total', help: 'Vendor API requests by action and outcome code (Success, a known vendor error code, Other for any other vendor code, or Timeout/ConnectionError/HttpError/MalformedResponse/ResponseTooLarge).', labelNames: ['action', 'code', 'account'], registers: [this.registry] });
  private readonly apiDuration = new Histogram({ name: 'rtc_api_request_duration_seconds', help: 'Vendor API request latency, including failed requests.', labelNames: ['action', 'account'], buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [this.registry] });
  private readonly apiRetries = new Counter({ name: 'rtc_api_retries_total', help: 'Requests retried after a retryable failure (each retry waits for the rate limiter).', labelNames: ['action', 'account'], registers: [this.registry] });
  private readonly permits = new Counter({ name: 'rtc_ratelimit_permits_total', help: 'Requests the rate limiter let start.', labelNames: ['account'], registers: [this.registry] });
  private readonly wait = new Histogram({ name: 'rtc_ratelimit_wait_seconds', help: 'Time a request waited for the rate limiter.', labelNames: ['account'], buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300], registers: [this.registry] });
  private readonly throttledTotal = new Counter({ name: 'rtc_ratelimit_throttled_total', help: 'Responses that said the account is over its rate (HTTP 429 / FlowLimitExceeded*).', labelNames: ['account'], registers: [this.registry] });
  private readonly cycles = new Counter({ name: 'rtc_poll_cycles_total', help: 'Completed poll cycles (each polls every configured room once).', registers: [this.registry] });
  private readonly cycleDuration = new Histogram({ name: 'rtc_poll_cycle_duration_seconds', help: 'Duration of poll cycles.', buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800], registers: [this.registry] });
  private readonly overruns = new Counter({ name: 'rtc_poll_cycle_overruns_total', help: 'Schedule ticks that came while a cycle was still running; they coalesce into one immediate next cycle.', registers: [this.registry] });
  private readonly lastCycle = new Gauge({ name: 'rtc_poll_cycle_last_completed_timestamp_seconds', help: 'Unix time the last poll cycle completed.', registers: [this.registry] });
  private readonly events = new Counter({ name: 'rtc_events_total', help: 'Member events emitted, by type.', labelNames: ['type'], registers: [this.registry] });
  private readonly sinkErrors = new Counter({ name: 'rtc_event_sink_errors_total', help: 'Errors writing events to a sink.', labelNames: ['sink'], registers: [this.registry] });
  readonly reloadOk = new Gauge({ name: 'rtc_config_last_reload_successful', help: '1 if the last config (re)load succeeded, 0 if it was rejected and the previous config kept.', registers: [this.registry] });
  readonly reloadTime = new Gauge({ name: 'rtc_config_last_reload_success_timestamp_seconds', help: 'Unix time of the last successful config load.', registers: [this.registry] });
  readonly webConfigOk = new Gauge({ name: 'rtc_web_config_last_reload_successful', help: '1 if the last (re)load of --web.config.file succeeded (also 1 without one), 0 if it was rejected and the previous web config kept.', registers: [this.registry] });
  readonly webConfigTime = new Gauge({ name: 'rtc_web_config_last_reload_success_timestamp_seconds', help: 'Unix time of the last successful load of --web.config.file (the start time without one).', registers: [this.registry] });
  readonly httpRefused = new Counter({ name: 'rtc_http_refused_total', help: 'Requests and connections the endpoint refused, by reason (unauthorized, auth_busy, client_certificate, tls_handshake).', labelNames: ['reason'], registers: [this.registry] });
  private readonly stateWriteErrors = new Counter({ name: 'rtc_state_write_errors_total', help: 'Poll results the state store could not commit (the poll is not applied; the next one diffs against the committed state).', registers: [this.registry] });
  readonly stateCorrupt = new Counter({ name: 'rtc_state_corrupt_recoveries_total', help: 'Damaged state databases moved aside at start-up (the daemon started from a fresh baseline).', registers: [this.registry] });
  readonly sinkLost = new Counter({ name: 'rtc_event_sink_lost_events_total', help: 'Events retention removed from the event log before this sink delivered them.', labelNames: ['sink'], registers: [this.registry] });
  readonly sinkBacklog = new Gauge({ name: 'rtc_event_sink_backlog_events', help: 'Committed events this sink has not delivered yet (log head minus its cursor).', labelNames: ['sink'], registers: [this.registry] });
  readonly webhookQueue = new Gauge({ name: 'rtc_webhook_queue_events', help: 'Events waiting for webhook delivery.', registers: [this.registry] });
  readonly webhookDropped = new Counter({ name: 'rtc_webhook_dropped_events_total', help: 'Events dropped because the webhook queue was full or delivery gave up.', labelNames: ['reason'], registers: [this.registry] });
  readonly webhookDeliveries = new Counter({ name: 'rtc_webhook_deliveries_total', help: 'Webhook batch delivery attempts by result.', labelNames: ['result'], registers: [this.registry] });

  /** Set by enableCallbacks(): the receiver's families exist only when callbacks are configured. */
  private callbackCorrections?: Counter;

  /** The last cycle's figures, kept for the status page (prom-client histograms do not expose them). */
  private cycleStats = { completed: 0, lastDurationSeconds: undefined as number | undefined, lastCompletedMs: undefined as number | undefined, overruns: 0 };

  constructor(private readonly sources: MetricsSources) {
    const r = this.registry;
    new Gauge({ name: 'rtc_ratelimit_qps', help: 'Configured GetRoomOnlineUsers rate cap per account (rateLimit.qps).', labelNames: ['account'], registers: [r], collect() { this.reset(); for (const a of sources.rates()) this.set({ account: a.account }, a.configuredQps); } });
    new Gauge({ name: 'rtc_ratelimit_effective_qps', help: 'Rate the limiter currently allows per account (lower than the cap after throttling, recovering gradually).', labelNames: ['account'], registers: [r], collect() { this.reset(); for (const a of sources.rates()) this.set({ account: a.account }, a.effectiveQps); } });
    new Gauge({ name: 'rtc_poll_interval_seconds', help: 'Expected seconds between polls of one room: max(schedule period, rooms / qps).', registers: [r], collect() { this.set(sources.pollIntervalSeconds()); } });
    new Gauge({ name: 'rtc_rooms_configured', help: 'Rooms being polled: the configured rooms and the discovered rooms not retired.', registers: [r], collect() { this.set(sources.roomCount()); } });
    new Gauge({ name: 'rtc_monitor_build_info', help: 'Build information; always 1.', labelNames: ['version', 'node_version'], registers: [r] }).set({ version: sources.version, node_version: process.version }, 1);
    // 100 ms event-loop sampling instead of 10 ms: lag percentiles stay useful at a tenth of the idle CPU.
    collectDefaultMetrics({ register: r, eventLoopMonitoringPrecision: 100 });
    // prom-client exports these gauges with a `_total` suffix, which Prometheus reserves for counters
    // (promtool check metrics flags them); the same values remain without the suffix.
    for (const n of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) r.removeSingleMetric(n);
    for (const type of ['join', 'leave', 'visibility_change']) this.events.inc({ type }, 0);
    // Known label values start at 0, so rate() and increase() work from the first scrape.
    for (const reason of ['queue_full', 'gave_up']) this.webhookDropped.inc({ reason }, 0);
    for (const result of ['success', 'failure']) {
      this.webhookDeliveries.inc({ result }, 0);
    }
    for (const sink of ['log', 'file', 'webhook']) this.sinkErrors.inc({ sink }, 0);
    for (const reason of ['unauthorized', 'auth_busy', 'client_certificate', 'tls_handshake']) this.httpRefused.inc({ reason }, 0);
    for (const sink of ['file', 'webhook']) {
      this.sinkLost.inc({ sink }, 0);
      this.sinkBacklog.set({ sink }, 0);
    }
  }

  /**
   * The observers of one account: every API and limiter series carries its `account` label. Known label
   * values start at 0, so rate() works from the first scrape.
   */
  forAccount(account: string): PollObserver & RequestObserver {
    this.apiRequests.inc({ action: 'GetRoomOnlineUsers', code: 'Success', account }, 0);
    this.apiRetries.inc({ action: 'GetRoomOnlineUsers', account }, 0);
    this.permits.inc({ account }, 0);
    this.throttledTotal.inc({ account }, 0);
    return {
      requestDone: (action, code, durationSeconds) => {
        this.apiRequests.inc({ action, code: boundedCode(code), account });
        this.apiDuration.observe({ action, account }, durationSeconds);
      },
      permitWaited: (seconds) => {
        this.permits.inc({ account });
        this.wait.observe({ account }, seconds);
      },
      retried: () => this.apiRetries.inc({ action: 'GetRoomOnlineUsers', account }),
      throttled: () => this.throttledTotal.inc({ account }),
      failed: () => undefined, // per-room failures are counted in the room state (rtc_room_poll_failures_total)
      stateWriteFailed: () => this.stateWriteFailed(),
      corrected: (n) => this.callbackCorrections?.inc({ account }, n),
    };
  }

  /**
   * The callback families (callbacks configured): what the receiver took, how late, and what polls found
   * that callbacks had missed. Known label values start at 0 (rate() works from the first scrape).
   */
  enableCallbacks(accounts: readonly string[]): CallbackObserver {
    const r = this.registry;
    const received = new Counter({ name: 'rtc_callbacks_received_total', help: 'Vendor room callbacks received, by EventType (other: unknown or unverified) and result (accepted, duplicate, stale, ignored, bad_signature, malformed, too_large).', labelNames: ['event_type', 'result'], registers: [r] });
    const lag = new Histogram({ name: 'rtc_callback_lag_seconds', help: "Receipt of a verified callback minus its event's Timestamp (the vendor's clock).", buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300], registers: [r] });
    this.callbackCorrections = new Counter({ name: 'rtc_callback_reconcile_corrections_total', help: 'Member changes a poll found that no callback had reported (past callbacks.reconcileGraceMs): callbacks lost or not configured for the app.', labelNames: ['account'], registers: [r] });
    for (const account of accounts) this.callbackCorrections.inc({ account }, 0);
    const results: CallbackResult[] = ['accepted', 'duplicate', 'stale'];
    for (const type of MEMBER_EVENT_TYPES) for (const result of results) received.inc({ event_type: type, result }, 0);
    for (const result of ['ignored', 'bad_signature', 'malformed', 'too_large'] as const) received.inc({ event_type: 'other', result }, 0);
    return {
      received: (eventType, result) => received.inc({ event_type: eventType, result }),
      // A clock ahead of ours would give a negative lag; the histogram has no bucket for it.
      lag: (seconds) => lag.observe(Math.max(0, seconds)),
    };
  }

  cycleDone(durationSeconds: number): void {
    this.cycles.inc();
    this.cycleDuration.observe(durationSeconds);
    this.cycleStats.completed++;
    this.cycleStats.lastDurationSeconds = durationSeconds;
  }

  /** Wall-clock end of the last cycle (the scheduler only knows monotonic time). */
  cycleCompletedAt(endMs: number): void {
    this.lastCycle.set(endMs / 1000);
    this.cycleStats.lastCompletedMs = endMs;
  }

  stateWriteFailed(): void {
    this.stateWriteErrors.inc();
  }

  overrun(missedTicks: number): void {
    this.overruns.inc(missedTicks);
    this.cycleStats.overruns += missedTicks;
  }

  /** Cycles completed, the last one's duration and end (Unix ms), and ticks overrun, since start. */
  cycleSummary(): Readonly<typeof this.cycleStats> {
    return { ...this.cycleStats };
  }

  eventsEmitted(events: readonly RoomEvent[]): void {
    for (const e of events) this.events.inc({ type: e.type });
  }

  sinkError(sink: string): void {
    this.sinkErrors.inc({ sink });
  }

  /**
   * Text families rendered by other collectors (e.g. rtc_room_info), appended to the exposition. Each piece
   * starts with the blank line that separates it; a piece that did not change should be the same object.
   */
  private readonly textFamilies: (() => TextPiece)[] = [];

  addTextFamilies(render: () => TextPiece): void {
    this.textFamilies.push(render);
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
    const extra = this.textFamilies.map((f) => f());
    return [{ text: `${await this.registry.metrics()}\n` }, ...this.roomFamilies.segments(this.sources.rooms()), ...extra];
  }

  contentType(): string {
    return this.registry.contentType;
  }
}
