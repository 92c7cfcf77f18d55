import { AxiosError } from 'axios';
import { FaultKind, Simulator } from '../../src/simulator';
import { call, json, TEST_CREDENTIALS } from './sim-client';

describe('Simulator fault injection', () => {
  let sim: Simulator;
  let url: string;

  beforeEach(async () => {
    sim = new Simulator({
      credentials: TEST_CREDENTIALS,
      recordServed: true,
      rooms: [{ appId: 'app', roomId: 'room', visible: 2 }],
    });
    url = await sim.start();
  });

  afterEach(async () => {
    await sim.stop();
  });

  async function callWith(kind: FaultKind): Promise<{ status?: number; data?: string; error?: AxiosError }> {
    sim.setFaults({ [kind]: 1 });
    try {
      const res = await call(url, { timeoutMs: 300 });
      return { status: res.status, data: res.data as string };
    } catch (err) {
      return { error: err as AxiosError };
    } finally {
      sim.setFaults({ [kind]: 0 });
    }
  }

  it('status500 answers 500 InternalError', async () => {
    const r = await callWith('status500');
    expect(r.status).toBe(500);
    expect(JSON.parse(r.data!).ResponseMetadata.Error.Code).toBe('InternalError');
  });

  it('status429 answers 429 FlowLimitExceeded without touching the real cap counters', async () => {
    const r = await callWith('status429');
    expect(r.status).toBe(429);
    expect(JSON.parse(r.data!).ResponseMetadata.Error.Code).toBe('FlowLimitExceeded');
    expect(sim.stats()).toMatchObject({ throttled: 0, faultsInjected: { status429: 1 } });
  });

  it('hang never answers, so the client times out', async () => {
    const r = await callWith('hang');
    expect(r.error?.code).toBe('ECONNABORTED');
  });

  it('malformedJson answers 200 with a body that does not parse', async () => {
    const r = await callWith('malformedJson');
    expect(r.status).toBe(200);
    expect(r.data!.startsWith('{"ResponseMetadata"')).toBe(true);
    expect(() => JSON.parse(r.data!)).toThrow(SyntaxError);
  });

  it('connectionReset drops the connection without a response', async () => {
    const r = await callWith('connectionReset');
    expect(r.status).toBeUndefined();
    expect(['ECONNRESET', 'ERR_BAD_RESPONSE']).toContain(r.error?.code);
  });

  it('missingResult answers 200 with metadata but no Result', async () => {
    const r = await callWith('missingResult');
    expect(r.status).toBe(200);
    const body = JSON.parse(r.data!);
    expect(body.ResponseMetadata.Action).toBe('GetRoomOnlineUsers');
    expect(body.Result).toBeUndefined();
    expect(body.ResponseMetadata.Error).toBeUndefined();
  });

  it('errorOn200 answers 200 carrying ResponseMetadata.Error', async () => {
    const r = await callWith('errorOn200');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.data!).ResponseMetadata.Error.Code).toBe('InternalError');
  });

  it('records none of the faulty answers as served', async () => {
    for (const kind of ['status500', 'malformedJson', 'missingResult', 'errorOn200'] as const) await callWith(kind);
    expect(sim.servedSnapshots('app', 'room')).toEqual([]);
    expect((await call(url)).status).toBe(200);
    expect(sim.servedSnapshots('app', 'room')).toHaveLength(1);
    expect(sim.stats()).toMatchObject({
      served: 1,
      byCode: { InternalError: 2, MalformedJson: 1, MissingResult: 1, Success: 1 },
    });
  });

  it('delays answers by latencyMs', async () => {
    sim.setFaults({ latencyMs: 150 });
    const started = Date.now();
    const res = await call(url);
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('stop() ends hung requests instead of waiting for them', async () => {
    sim.setFaults({ hang: 1 });
    const pending = call(url, { timeoutMs: 30_000 }).then(
      () => 'answered',
      (err: AxiosError) => err.code,
    );
    await new Promise((r) => setTimeout(r, 50)); // let the request reach the server
    const started = Date.now();
    await sim.stop();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await pending).not.toBe('answered');
  });

  it('rejects invalid fault settings', () => {
    expect(() => sim.setFaults({ hang: 1.5 })).toThrow('faults.hang');
    expect(() => sim.setFaults({ hang: 0.6, status500: 0.6 })).toThrow('sum');
    expect(sim.faults().hang).toBe(0);
  });

  it('draws faults at about their probability', async () => {
    sim.setFaults({ status500: 0.5 });
    const statuses = [];
    // 30, so the real 40-per-second cap stays out of the way.
    for (let i = 0; i < 30; i++) statuses.push((await call(url)).status);
    const errors = statuses.filter((s) => s === 500).length;
    expect(errors).toBeGreaterThan(5);
    expect(errors).toBeLessThan(25);
    expect(statuses.filter((s) => s !== 500).every((s) => s === 200)).toBe(true);
    sim.setFaults({ status500: 0 });
    const res = await call(url);
    expect(res.status).toBe(200);
    expect(json(res).Result).toMatchObject({ RoomExists: true, TotalUser: 2 });
  });
});
