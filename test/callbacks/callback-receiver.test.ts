import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CallbackIntake, CallbackReceiver } from '../../src/callbacks/callback-receiver';
import type { CallbackResult, VerifiedCallback } from '../../src/callbacks/callback-check';
import { callbackSignature } from '../../src/callbacks/signature';
import { FakeClock } from '../fakes/fake-clock';
import { memoryLogger } from '../fakes/recorders';

const SECRET = 'cb-secret-value';

function signed(fields: Partial<Record<string, string>> = {}, secret = SECRET): Record<string, string> {
  const body = {
    EventType: 'UserJoinRoom',
    EventData: JSON.stringify({ RoomId: 'r1', UserId: 'u1', Timestamp: 1_000 }),
    EventTime: '2026-01-01T00:00:01Z',
    EventId: 'e-1',
    AppId: 'app1',
    Version: '2020-12-01',
    Nonce: 'n0n0',
    ...fields,
  } as Record<string, string>;
  return { ...body, Signature: callbackSignature(body as never, secret) };
}

class RecordingIntake implements CallbackIntake {
  readonly submitted: VerifiedCallback[] = [];
  private readonly seen = new Set<string>();
  fail = false;
  async submit(cb: VerifiedCallback): Promise<'accepted' | 'duplicate' | 'stale'> {
    if (this.fail) throw new Error('store down');
    if (this.seen.has(cb.eventId)) return 'duplicate';
    this.seen.add(cb.eventId);
    this.submitted.push(cb);
    return 'accepted';
  }
}

describe('CallbackReceiver', () => {
  let server: Server;
  let url: string;
  let intake: RecordingIntake;
  let counted: [string, CallbackResult][];
  let lags: number[];
  let log: ReturnType<typeof memoryLogger>;

  beforeEach(async () => {
    intake = new RecordingIntake();
    counted = [];
    lags = [];
    log = memoryLogger();
    const clock = new FakeClock(3_500);
    const receiver = new CallbackReceiver({
      maxBodyBytes: 2048,
      secretFor: (appId) => (appId === 'app1' ? SECRET : undefined),
      intake,
      observer: { received: (t, r) => counted.push([t, r]), lag: (s) => lags.push(s) },
      clock,
      logger: log.logger,
    });
    server = createServer((req, res) => void receiver.handle(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/callbacks/rtc`;
  });
  afterEach(() => new Promise<void>((r) => server.close(() => r())));

  const post = async (body: string | object, method = 'POST'): Promise<number> => (await fetch(url, { method, body: typeof body === 'string' ? body : JSON.stringify(body) })).status;

  it('accepts a signed member callback once the intake has it, and counts a repeat as a duplicate', async () => {
    expect(await post(signed())).toBe(200);
    expect(await post(signed())).toBe(200);
    expect(intake.submitted).toHaveLength(1);
    expect(intake.submitted[0]).toEqual({ eventId: 'e-1', appId: 'app1', eventType: 'UserJoinRoom', callback: { kind: 'member', roomId: 'r1', userId: 'u1', present: true, visibility: 'visible', timestampMs: 1_000 } });
    expect(counted).toEqual([
      ['UserJoinRoom', 'accepted'],
      ['UserJoinRoom', 'duplicate'],
    ]);
    expect(lags).toEqual([2.5, 2.5]);
  });

  it.each<[string, () => string | object, number, string, CallbackResult]>([
    ['a wrong signature', () => ({ ...signed(), Signature: 'ab'.repeat(32) }), 401, 'UserJoinRoom', 'bad_signature'],
    ['a signature with another secret', () => signed({}, 'other-secret'), 401, 'UserJoinRoom', 'bad_signature'],
    ['an AppId with no secret', () => signed({ AppId: 'app2' }), 401, 'UserJoinRoom', 'bad_signature'],
    ['not JSON', () => 'hello', 400, 'other', 'malformed'],
    ['a missing field', () => ({ ...signed(), EventTime: undefined }), 400, 'other', 'malformed'],
    ['EventData without a UserId', () => signed({ EventData: JSON.stringify({ RoomId: 'r', Timestamp: 1 }) }), 400, 'UserJoinRoom', 'malformed'],
    ['an unknown EventType', () => signed({ EventType: 'RecordStarted' }), 200, 'other', 'ignored'],
    ['an unknown EventType with a bad signature', () => ({ ...signed({ EventType: 'RecordStarted' }), Signature: '00' }), 401, 'other', 'bad_signature'],
    ['a body over maxBodyBytes', () => ({ ...signed(), Pad: 'x'.repeat(4096) }), 413, 'other', 'too_large'],
  ])('%s', async (_name, body, status, type, result) => {
    expect(await post(body())).toBe(status);
    expect(counted).toEqual([[type, result]]);
    expect(intake.submitted).toHaveLength(0);
  });

  it('never logs the secret', async () => {
    await post({ ...signed(), Signature: 'ab'.repeat(32) });
    await post(signed({ AppId: 'app2' }));
    expect(JSON.stringify(log.lines())).not.toContain(SECRET);
  });

  it('answers 503 when the intake cannot store it, so the vendor retries', async () => {
    intake.fail = true;
    expect(await post(signed())).toBe(503);
    expect(counted).toEqual([]);
  });

  it('refuses other methods', async () => {
    expect(await post('', 'PUT')).toBe(405);
  });
});
