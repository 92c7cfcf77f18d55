import { createHmac, timingSafeEqual } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import pino from 'pino';
import { systemClock } from '../../src/clock';
import type { WebhookConfig } from '../../src/config/schema';
import type { RoomEvent } from '../../src/rooms/room-event';
import { signWebhookBody, WEBHOOK_MAX_RESPONSE_BYTES, WebhookObserver, WebhookPost, WebhookSink, WebhookSinkOptions } from '../../src/sinks/webhook-sink';
import { FakeClock, settle } from '../fakes/fake-clock';

const SECRET = 's3cr3t-webhook-key';

let nextUser = 0;
function events(n: number): RoomEvent[] {
  return Array.from({ length: n }, () => ({
    id: nextUser + 1,
    time: '2024-01-01T00:00:00.000Z',
    type: 'join' as const,
    appId: 'app',
    roomId: 'room',
    userId: `u${nextUser++}`,
    visibility: 'visible' as const,
  }));
}

class RecordingObserver implements WebhookObserver {
  lengths: number[] = [];
  dropCounts = { queue_full: 0, gave_up: 0 };
  deliveries = { success: 0, failure: 0 };
  queueLength(n: number): void {
    this.lengths.push(n);
  }
  dropped(reason: 'queue_full' | 'gave_up', n: number): void {
    this.dropCounts[reason] += n;
  }
  delivery(result: 'success' | 'failure'): void {
    this.deliveries[result]++;
  }
  get lastLength(): number | undefined {
    return this.lengths[this.lengths.length - 1];
  }
}

function captureLogger(): { logger: pino.Logger; lines: () => Array<Record<string, unknown>>; text: () => string } {
  const out: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void out.push(s) });
  return {
    logger,
    lines: () => out.map((l) => JSON.parse(l) as Record<string, unknown>),
    text: () => out.join(''),
  };
}

interface PostCall {
  atMs: number;
  body: string;
  events: RoomEvent[];
  headers: Record<string, string>;
  signal?: AbortSignal;
}

/** A `post` whose outcome per call is scripted; `hold` makes calls wait until released. */
class ScriptedPost {
  calls: PostCall[] = [];
  /** Status for each call in order; calls past the end get `fallback`. */
  constructor(
    private readonly clock: FakeClock,
    public statuses: Array<number | Error> = [],
    public fallback: number | Error = 200,
  ) {}
  held: Array<() => void> = [];
  hold = false;

  readonly post: WebhookPost = async (_url, body, headers, signal) => {
    const i = this.calls.length;
    this.calls.push({ atMs: this.clock.now(), body, events: (JSON.parse(body) as { events: RoomEvent[] }).events, headers, signal });
    if (this.hold) await new Promise<void>((resolve) => this.held.push(resolve));
    const outcome = this.statuses[i] ?? this.fallback;
    if (outcome instanceof Error) throw outcome;
    return { status: outcome };
  };

  release(): void {
    const held = this.held;
    this.held = [];
    for (const r of held) r();
  }

  /** Events of successful calls, in the order they were sent. */
  delivered(): string[] {
    return this.calls.filter((_c, i) => {
      const o = this.statuses[i] ?? this.fallback;
      return typeof o === 'number' && o >= 200 && o < 300;
    }).flatMap((c) => c.events.map((e) => e.userId));
  }
}

const BASE: WebhookSinkOptions = { url: 'http://127.0.0.1:1/hook', secret: SECRET, batchSize: 10, flushIntervalMs: 1000, maxQueue: 100, maxRetries: 5, timeoutMs: 5000 };

function fakeSink(opts: Partial<WebhookSinkOptions> = {}, random: () => number = () => 1) {
  const clock = new FakeClock(1_700_000_000_000);
  const scripted = new ScriptedPost(clock);
  const observer = new RecordingObserver();
  const log = captureLogger();
  const sink = new WebhookSink({ ...BASE, ...opts }, { clock, logger: log.logger, observer, post: scripted.post, random });
  return { clock, scripted, observer, log, sink, t0: clock.now() };
}

const ids = (es: RoomEvent[]): string[] => es.map((e) => e.userId);

describe('WebhookSink batching (fake clock)', () => {
  test('holds a partial batch for flushIntervalMs after the first queued event', async () => {
    const { clock, scripted, sink, t0 } = fakeSink();
    const a = events(2);
    sink.emit(a);
    await clock.advance(500);
    const b = events(1);
    sink.emit(b);
    await clock.advance(499);
    expect(scripted.calls).toHaveLength(0);
    await clock.advance(1);
    expect(scripted.calls.map((c) => [c.atMs - t0, ids(c.events)])).toEqual([[1000, ids([...a, ...b])]]);
    sink.close();
  });

  test('sends as soon as the queue reaches batchSize; the rest keeps its original wait', async () => {
    const { clock, scripted, sink, t0 } = fakeSink({ batchSize: 3 });
    const first = events(2);
    sink.emit(first);
    await clock.advance(0);
    expect(scripted.calls).toHaveLength(0);
    await clock.advance(100);
    const second = events(2);
    sink.emit(second);
    await clock.advance(0);
    expect(scripted.calls.map((c) => [c.atMs - t0, ids(c.events)])).toEqual([[100, ids([...first, second[0]!])]]);
    // The leftover event was queued at t0+100, so it goes at t0+1100.
    await clock.advance(999);
    expect(scripted.calls).toHaveLength(1);
    await clock.advance(1);
    expect(scripted.calls.map((c) => [c.atMs - t0, ids(c.events)])[1]).toEqual([1100, [second[1]!.userId]]);
    sink.close();
  });

  test('body is {"events":[...]} with JSON, timestamp and HMAC headers', async () => {
    const { clock, scripted, sink } = fakeSink();
    const batch = events(3);
    sink.emit(batch);
    await clock.advance(1000);
    const call = scripted.calls[0]!;
    expect(call.body).toBe(JSON.stringify({ events: batch }));
    const expected = `sha256=${createHmac('sha256', SECRET).update(call.body).digest('hex')}`;
    expect(call.headers).toEqual({
      'Content-Type': 'application/json',
      'X-RTC-Timestamp': String(Math.floor(clock.now() / 1000)),
      'X-RTC-Signature': expected,
    });
    expect(signWebhookBody(SECRET, call.body)).toBe(expected);
    sink.close();
  });

  test('no signature header without a secret', async () => {
    const { clock, scripted, sink } = fakeSink({ secret: undefined });
    sink.emit(events(1));
    await clock.advance(1000);
    expect(Object.keys(scripted.calls[0]!.headers).sort()).toEqual(['Content-Type', 'X-RTC-Timestamp']);
    sink.close();
  });

  test('accepts a WebhookConfig as its options', () => {
    const cfg: WebhookConfig = { url: 'http://127.0.0.1:1/', batchSize: 1, flushIntervalMs: 1, maxQueue: 1, maxRetries: 0, timeoutMs: 1 };
    const sink = new WebhookSink(cfg, { clock: new FakeClock(), logger: captureLogger().logger, observer: new RecordingObserver() });
    sink.close();
  });
});

describe('WebhookSink retries (fake clock)', () => {
  test('retries the same batch with exponential backoff and full jitter, then gives up and counts', async () => {
    const { clock, scripted, observer, log, sink } = fakeSink({ maxRetries: 8 }, () => 1);
    scripted.fallback = 500;
    const batch = events(4);
    sink.emit(batch);
    await clock.advance(1000);
    const start = clock.now();
    await clock.advance(200_000);
    const gaps = scripted.calls.map((c, i) => c.atMs - (scripted.calls[i - 1]?.atMs ?? start));
    // random() = 1 takes the whole window: 500 * 2^n, capped at 30 s.
    expect(gaps).toEqual([0, 500, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    expect(scripted.calls.every((c) => c.body === scripted.calls[0]!.body)).toBe(true);
    expect(observer.deliveries).toEqual({ success: 0, failure: 9 });
    expect(observer.dropCounts).toEqual({ queue_full: 0, gave_up: 4 });
    expect(observer.lastLength).toBe(0);
    const warnings = log.lines().filter((l) => l.level === 40).map((l) => l.msg);
    expect(warnings).toEqual(['webhook delivery failing; retrying with backoff', 'webhook batch dropped after retries']);
    sink.close();
  });

  test('jitter scales the wait uniformly inside the window', async () => {
    const { clock, scripted, sink } = fakeSink({ maxRetries: 3 }, () => 0.25);
    scripted.fallback = 503;
    sink.emit(events(1));
    await clock.advance(1000);
    expect(clock.pendingTimers()).toEqual([clock.now() + 125]);
    await clock.advance(100_000);
    expect(scripted.calls.map((c) => c.atMs - scripted.calls[0]!.atMs)).toEqual([0, 125, 375, 875]);
    sink.close();
  });

  test('maxRetries 0 means one attempt', async () => {
    const { clock, scripted, observer, sink } = fakeSink({ maxRetries: 0 });
    scripted.fallback = new Error('ECONNREFUSED');
    sink.emit(events(2));
    await clock.advance(100_000);
    expect(scripted.calls).toHaveLength(1);
    expect(observer.dropCounts.gave_up).toBe(2);
    sink.close();
  });

  test('after giving up on a batch it moves on to the next one, in order', async () => {
    const { clock, scripted, observer, log, sink } = fakeSink({ batchSize: 2, maxRetries: 2 });
    const doomed = events(2);
    const fine = events(3);
    scripted.statuses = [500, new Error('socket hang up'), 502];
    sink.emit([...doomed, ...fine]);
    await clock.advance(100_000);
    expect(scripted.calls.map((c) => ids(c.events))).toEqual([ids(doomed), ids(doomed), ids(doomed), ids(fine.slice(0, 2)), ids(fine.slice(2))]);
    expect(scripted.delivered()).toEqual(ids(fine));
    expect(observer.dropCounts).toEqual({ queue_full: 0, gave_up: 2 });
    expect(observer.deliveries).toEqual({ success: 2, failure: 3 });
    expect(log.lines().map((l) => l.msg)).toContain('webhook delivery recovered');
    sink.close();
  });

  test('a post that throws synchronously is a failed attempt, not a crash', async () => {
    const clock = new FakeClock();
    const observer = new RecordingObserver();
    let calls = 0;
    const post: WebhookPost = (() => {
      calls++;
      if (calls === 1) throw new Error('boom');
      return Promise.resolve({ status: 204 });
    }) as WebhookPost;
    const sink = new WebhookSink({ ...BASE, maxRetries: 1 }, { clock, logger: captureLogger().logger, observer, post, random: () => 0 });
    sink.emit(events(1));
    await clock.advance(1000);
    await clock.advance(0);
    expect(observer.deliveries).toEqual({ success: 1, failure: 1 });
    sink.close();
  });

  test('property: whatever the failure pattern, with enough retries every event arrives once, in order, in batches of at most batchSize', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 15 }),
        fc.array(fc.boolean(), { maxLength: 30 }),
        fc.array(fc.integer({ min: 0, max: 3000 }), { minLength: 15, maxLength: 15 }),
        fc.integer({ min: 1, max: 8 }),
        async (sizes, failures, steps, batchSize) => {
          const { clock, scripted, observer, sink } = fakeSink({ batchSize, maxRetries: 30, maxQueue: 1000 }, () => 0.5);
          scripted.statuses = failures.map((f) => (f ? 500 : 200));
          const sent: string[] = [];
          for (const [i, n] of sizes.entries()) {
            const es = events(n);
            sent.push(...ids(es));
            sink.emit(es);
            await clock.advance(steps[i]!);
          }
          await clock.advance(10_000_000);
          expect(scripted.delivered()).toEqual(sent);
          expect(scripted.calls.every((c) => c.events.length >= 1 && c.events.length <= batchSize)).toBe(true);
          expect(observer.dropCounts).toEqual({ queue_full: 0, gave_up: 0 });
          expect(observer.deliveries.failure).toBe(failures.slice(0, scripted.calls.length).filter(Boolean).length);
          expect(observer.lastLength).toBe(0);
          sink.close();
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('WebhookSink overflow (fake clock)', () => {
  test('drops the newest events beyond maxQueue, counts them exactly and logs once per episode', async () => {
    const { clock, scripted, observer, log, sink } = fakeSink({ maxQueue: 5, batchSize: 2 });
    scripted.hold = true;
    const a = events(3);
    sink.emit(a);
    await clock.advance(0);
    // a[0], a[1] are in flight and still count against the queue.
    expect(scripted.calls).toHaveLength(1);
    const b = events(3);
    sink.emit(b); // room for 2
    const c = events(4); // no room
    sink.emit(c);
    expect(observer.dropCounts).toEqual({ queue_full: 5, gave_up: 0 });
    expect(observer.lastLength).toBe(5);
    const warnings = (): unknown[] => log.lines().filter((l) => l.msg === 'webhook queue full; dropping newest events until it drains');
    expect(warnings()).toHaveLength(1);

    scripted.hold = false;
    scripted.release();
    await clock.advance(0);
    // The next batch (a[2], b[0]) went out right away; b[1] is left.
    expect(observer.lastLength).toBe(1);
    const d = events(1);
    sink.emit(d); // fits: the episode ends
    expect(log.lines().find((l) => l.msg === 'webhook queue accepting events again')).toMatchObject({ dropped: 5 });
    const e = events(6); // 2 queued (b[1], d[0]) -> room for 3
    sink.emit(e);
    expect(observer.dropCounts.queue_full).toBe(8);
    expect(warnings()).toHaveLength(2);

    await clock.advance(10_000);
    expect(scripted.delivered()).toEqual(ids([...a, b[0]!, b[1]!, d[0]!, ...e.slice(0, 3)]));
    expect(observer.lastLength).toBe(0);
    sink.close();
  });

  test('emit never throws, even when the observer does', () => {
    const clock = new FakeClock();
    const observer = new RecordingObserver();
    observer.dropped = () => {
      throw new Error('observer bug');
    };
    const sink = new WebhookSink({ ...BASE, maxQueue: 1 }, { clock, logger: captureLogger().logger, observer, post: async () => ({ status: 200 }) });
    expect(() => sink.emit(events(3))).not.toThrow();
    sink.close();
  });
});

describe('WebhookSink flush and close (fake clock)', () => {
  test('flush sends a partial batch at once and resolves when it is delivered', async () => {
    const { clock, scripted, sink, t0 } = fakeSink({ flushIntervalMs: 60_000 });
    const batch = events(3);
    sink.emit(batch);
    await sink.flush(clock.now() + 5000);
    expect(scripted.calls.map((c) => [c.atMs - t0, ids(c.events)])).toEqual([[0, ids(batch)]]);
    sink.close();
  });

  test('flush drains several batches', async () => {
    const { clock, scripted, observer, sink } = fakeSink({ batchSize: 4, flushIntervalMs: 60_000 });
    const all = events(10);
    sink.emit(all);
    await sink.flush(clock.now() + 5000);
    expect(scripted.delivered()).toEqual(ids(all));
    expect(observer.lastLength).toBe(0);
    sink.close();
  });

  test('flush cuts a pending retry wait short', async () => {
    const { clock, scripted, sink } = fakeSink({ maxRetries: 5 }, () => 1);
    scripted.statuses = [500];
    sink.emit(events(1));
    await clock.advance(1000);
    expect(clock.pendingTimers()).toEqual([clock.now() + 500]);
    const at = clock.now();
    await sink.flush(at + 5000);
    expect(scripted.calls.map((c) => c.atMs)).toEqual([at, at]);
    sink.close();
  });

  test('flush resolves at the deadline when the receiver keeps failing, never rejects', async () => {
    const { clock, scripted, observer, sink } = fakeSink({ maxRetries: 20 }, () => 1);
    scripted.fallback = 500;
    sink.emit(events(2));
    const deadline = clock.now() + 5000;
    let resolved = false;
    const flushing = sink.flush(deadline).then(() => {
      resolved = true;
    });
    await clock.advanceTo(deadline - 1);
    expect(resolved).toBe(false);
    await clock.advanceTo(deadline);
    expect(resolved).toBe(true);
    await flushing;
    sink.close();
    expect(observer.dropCounts.gave_up).toBe(2);
  });

  test('flush on an empty queue resolves at once', async () => {
    const { clock, scripted, sink } = fakeSink();
    await sink.flush(clock.now() + 5000);
    expect(scripted.calls).toHaveLength(0);
    sink.close();
  });

  test('close stops every timer, aborts the request in flight and counts what is left', async () => {
    const { clock, scripted, observer, log, sink } = fakeSink({ batchSize: 2 });
    scripted.hold = true;
    sink.emit(events(5));
    await clock.advance(0);
    expect(scripted.calls).toHaveLength(1);
    sink.close();
    expect(scripted.calls[0]!.signal?.aborted).toBe(true);
    expect(observer.dropCounts.gave_up).toBe(5);
    expect(observer.lastLength).toBe(0);
    expect(log.lines().filter((l) => l.msg === 'webhook sink closed with undelivered events; dropped')).toHaveLength(1);
    scripted.release();
    await clock.advance(100_000);
    expect(clock.pendingTimers()).toEqual([]);
    expect(scripted.calls).toHaveLength(1);
    expect(observer.deliveries).toEqual({ success: 0, failure: 0 });
    // Late emits are counted, not queued.
    sink.emit(events(2));
    expect(observer.dropCounts.gave_up).toBe(7);
    await sink.flush(clock.now() + 1000);
  });

  test('an idle sink has no timers and close leaves none', async () => {
    const { clock, sink } = fakeSink();
    await clock.advance(10_000);
    expect(clock.pendingTimers()).toEqual([]);
    sink.emit(events(1));
    await clock.advance(0);
    expect(clock.pendingTimers()).toHaveLength(1);
    sink.close();
    await settle();
    expect(clock.pendingTimers()).toEqual([]);
  });

  test('the secret and URL query never reach the log', async () => {
    const { clock, scripted, log, sink } = fakeSink({ url: 'http://127.0.0.1:1/hook?token=abc123', maxRetries: 1, maxQueue: 2 }, () => 0);
    scripted.fallback = new Error('connect ECONNREFUSED 127.0.0.1:1');
    sink.emit(events(5));
    await clock.advance(100_000);
    sink.emit(events(1));
    sink.close();
    const text = log.text();
    expect(text).toContain('webhook batch dropped after retries');
    expect(text).toContain('http://127.0.0.1:1/hook');
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('abc123');
  });
});

// --- A real receiver on loopback -------------------------------------------------------------------------

type Verdict = number | 'hang';

interface Received {
  body: string;
  headers: http.IncomingHttpHeaders;
  signatureOk: boolean;
  status: Verdict;
}

/** An HTTP receiver that checks the HMAC itself (401 on mismatch) and answers per `decide`. */
async function startReceiver(secret: string, decide: (n: number) => Verdict): Promise<{ url: string; got: Received[]; waitFor: (pred: () => boolean) => Promise<void>; close: () => Promise<void> }> {
  const got: Received[] = [];
  let notify: () => void = () => undefined;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const mac = Buffer.from(`sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`);
      const claimed = Buffer.from(String(req.headers['x-rtc-signature'] ?? ''));
      const signatureOk = claimed.length === mac.length && timingSafeEqual(claimed, mac);
      const status: Verdict = signatureOk ? decide(got.length) : 401;
      got.push({ body: raw.toString('utf8'), headers: req.headers, signatureOk, status });
      notify();
      if (status === 'hang') return;
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    got,
    // Resolves on the request that makes `pred` true. The timer is only a guard so a broken sink fails
    // the test with a message instead of hanging it; nothing waits on it when things work.
    waitFor: (pred) =>
      new Promise<void>((resolve, reject) => {
        const guard = setTimeout(() => reject(new Error(`receiver condition not met; got ${got.map((r) => r.status).join(',')}`)), 15_000);
        const check = (): void => {
          if (!pred()) return;
          clearTimeout(guard);
          resolve();
        };
        notify = check;
        check();
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function realSink(url: string, opts: Partial<WebhookSinkOptions> = {}) {
  const observer = new RecordingObserver();
  const log = captureLogger();
  // random() = 0: retries go at once, so the test needs no wall-clock waits beyond the HTTP round trips.
  const sink = new WebhookSink({ ...BASE, url, flushIntervalMs: 20, ...opts }, { clock: systemClock, logger: log.logger, observer, random: () => 0 });
  return { sink, observer, log };
}

const bodyIds = (r: Received): string[] => (JSON.parse(r.body) as { events: RoomEvent[] }).events.map((e) => e.userId);

describe('WebhookSink against a real receiver on 127.0.0.1', () => {
  test('signed batches arrive in order and complete although the receiver fails some with 500', async () => {
    const failOn = new Set([0, 1, 3]);
    const rx = await startReceiver(SECRET, (n) => (failOn.has(n) ? 500 : 200));
    const { sink, observer } = realSink(rx.url, { batchSize: 50, maxQueue: 1000 });
    try {
      const sent: string[] = [];
      for (let i = 0; i < 10; i++) {
        const es = events(23);
        sent.push(...ids(es));
        sink.emit(es);
      }
      await rx.waitFor(() => rx.got.filter((r) => r.status === 200).flatMap(bodyIds).length >= sent.length);
      // The receiver has answered; let the sink see the last answer too.
      await sink.flush(Date.now() + 5000);
      expect(rx.got.every((r) => r.signatureOk)).toBe(true);
      expect(rx.got.every((r) => r.headers['content-type'] === 'application/json' && /^\d+$/.test(String(r.headers['x-rtc-timestamp'])))).toBe(true);
      const accepted = rx.got.filter((r) => r.status === 200);
      expect(accepted.flatMap(bodyIds)).toEqual(sent);
      expect(accepted.map((r) => bodyIds(r).length)).toEqual([50, 50, 50, 50, 30]);
      // A failed batch is re-sent unchanged before anything after it.
      expect(rx.got[1]!.body).toBe(rx.got[0]!.body);
      expect(rx.got[2]!.body).toBe(rx.got[0]!.body);
      expect(rx.got[4]!.body).toBe(rx.got[3]!.body);
      expect(observer.deliveries).toEqual({ success: 5, failure: 3 });
      expect(observer.dropCounts).toEqual({ queue_full: 0, gave_up: 0 });
    } finally {
      sink.close();
      await rx.close();
    }
  });

  test('a receiver with another secret rejects every batch; the sink gives up and counts', async () => {
    const rx = await startReceiver('a-different-secret', () => 200);
    const { sink, observer } = realSink(rx.url, { maxRetries: 2 });
    try {
      sink.emit(events(3));
      await rx.waitFor(() => rx.got.length === 3);
      await sink.flush(Date.now() + 2000);
      expect(rx.got.map((r) => [r.signatureOk, r.status])).toEqual([[false, 401], [false, 401], [false, 401]]);
      expect(observer.dropCounts).toEqual({ queue_full: 0, gave_up: 3 });
    } finally {
      sink.close();
      await rx.close();
    }
  });

  test('a hung request times out and the batch is retried (at-least-once)', async () => {
    const rx = await startReceiver(SECRET, (n) => (n === 0 ? 'hang' : 200));
    const { sink, observer } = realSink(rx.url, { timeoutMs: 300 });
    try {
      const batch = events(2);
      sink.emit(batch);
      await rx.waitFor(() => rx.got.length === 2);
      await sink.flush(Date.now() + 2000);
      expect(rx.got.map(bodyIds)).toEqual([ids(batch), ids(batch)]);
      expect(observer.deliveries).toEqual({ success: 1, failure: 1 });
    } finally {
      sink.close();
      await rx.close();
    }
  });

  test('flush at shutdown delivers what is queued without waiting for the interval', async () => {
    const rx = await startReceiver(SECRET, () => 200);
    const { sink, observer } = realSink(rx.url, { flushIntervalMs: 60_000, batchSize: 1000 });
    try {
      const batch = events(5);
      sink.emit(batch);
      await sink.flush(Date.now() + 2000);
      expect(rx.got.map(bodyIds)).toEqual([ids(batch)]);
      expect(observer.lastLength).toBe(0);
    } finally {
      sink.close();
      await rx.close();
    }
  });
});

describe('WebhookSink backed by the event log', () => {
  test('a reply body over the limit is a failed attempt, never read into the heap whole', async () => {
    const huge = Buffer.alloc(WEBHOOK_MAX_RESPONSE_BYTES * 3, 0x61);
    let replies = 0;
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        replies++;
        res.writeHead(200, { 'Content-Type': 'text/plain' }).end(replies === 1 ? huge : 'ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const delivered: number[] = [];
    const observer = new RecordingObserver();
    const sink = new WebhookSink(
      { ...BASE, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, flushIntervalMs: 20, maxRetries: 3 },
      { clock: systemClock, logger: captureLogger().logger, observer, random: () => 0, onDelivered: (id) => delivered.push(id) },
    );
    try {
      const batch = events(3);
      sink.accept(batch);
      await sink.flush(Date.now() + 5000);
      expect(observer.deliveries).toEqual({ success: 1, failure: 1 });
      expect(delivered).toEqual([batch[2]!.id]);
    } finally {
      sink.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  test('with the log behind it, a batch is never given up, acks follow successes, and close drops nothing', async () => {
    const clock = new FakeClock(1_700_000_000_000);
    const scripted = new ScriptedPost(clock, [500, 500, 500, 500, 500, 500], 200);
    const observer = new RecordingObserver();
    const log = captureLogger();
    const delivered: number[] = [];
    const sink = new WebhookSink({ ...BASE, maxRetries: 2 }, { clock, logger: log.logger, observer, post: scripted.post, random: () => 1, onDelivered: (id) => delivered.push(id) });
    expect(sink.capacity()).toBe(BASE.maxQueue);
    const batch = events(4);
    sink.accept(batch);
    expect(sink.capacity()).toBe(BASE.maxQueue - 4);
    await clock.advance(1000 + 200_000);
    // Past maxRetries it keeps going at the longest backoff until the receiver answers 2xx.
    expect(scripted.calls).toHaveLength(7);
    expect(observer.dropCounts).toEqual({ queue_full: 0, gave_up: 0 });
    expect(delivered).toEqual([batch[3]!.id]);
    expect(sink.capacity()).toBe(BASE.maxQueue);
    scripted.fallback = 500;
    sink.accept(events(2));
    await clock.advance(5000);
    sink.close();
    expect(observer.dropCounts).toEqual({ queue_full: 0, gave_up: 0 });
    expect(delivered).toHaveLength(1);
    expect(log.lines().some((l) => l.msg === 'webhook sink closed with undelivered events; they stay in the event log for the next start')).toBe(true);
  });
});
