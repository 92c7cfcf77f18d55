import { Simulator } from '../../src/simulator';
import { VolcClient } from '../../src/volc/client';
import { Socket } from 'node:net';
import { Credentials } from '../../src/volc/credentials';
import { createApiAgents } from '../../src/volc/http-agent';
import { apiFailure } from '../support/api-failure';

const creds = { accessKeyId: 'AKLTclient', secretAccessKey: 'client-secret' };

describe('VolcClient against the simulator', () => {
  let sim: Simulator;
  let endpoint: string;
  const outcomes: string[] = [];

  beforeAll(async () => {
    sim = new Simulator({ credentials: creds, rooms: [{ appId: 'app', roomId: 'r', visible: 2, invisible: 1 }, { appId: 'app', roomId: 'none', exists: false }] });
    endpoint = await sim.start();
  });
  afterAll(() => sim.stop());
  beforeEach(() => {
    outcomes.length = 0;
    sim.setFaults({ hang: 0, connectionReset: 0 });
  });

  const client = (secret = creds.secretAccessKey, timeoutMs = 2000): VolcClient =>
    new VolcClient(
      { endpoint, region: 'cn-north-1', service: 'rtc', version: '2023-08-01', timeoutMs, credentials: new Credentials(creds.accessKeyId, secret) },
      { requestDone: (_action, code) => outcomes.push(code) },
    );


  it('signs requests the server accepts (host with port) and parses the members', async () => {
    const snap = await client().getRoomOnlineUsers({ appId: 'app', roomId: 'r' });
    expect(snap).toMatchObject({ exists: true, totalUsers: 3, totalInvisibleUsers: 1 });
    expect(snap.visible).toHaveLength(2);
    expect(await client().getRoomOnlineUsers({ appId: 'app', roomId: 'none' })).toMatchObject({ exists: false });
    expect(outcomes).toEqual(['Success', 'Success']);
  });

  it('reuses one kept-alive connection without re-arming TCP keep-alive on every request', async () => {
    const agents = createApiAgents({ idleTimeoutMs: 30_000 });
    // Node calls into the socket (four setsockopt) only when the delay differs from the last one set, so
    // one distinct value across requests means no system call after the first.
    const spy = jest.spyOn(Socket.prototype, 'setKeepAlive'); // calls through
    try {
      const c = new VolcClient({ endpoint, region: 'cn-north-1', service: 'rtc', version: '2023-08-01', timeoutMs: 2000, credentials: new Credentials(creds.accessKeyId, creds.secretAccessKey), agents });
      for (let i = 0; i < 5; i++) await c.getRoomOnlineUsers({ appId: 'app', roomId: 'r' });
      const delays = spy.mock.calls.filter(([enable]) => enable).map(([, delay]) => delay);
      expect(delays.length).toBeGreaterThanOrEqual(5);
      expect(new Set(delays).size).toBe(1);
    } finally {
      spy.mockRestore();
      agents.destroy();
    }
  });

  it('maps a wrong secret to SignatureDoesNotMatch, not retryable, and never echoes the secret', async () => {
    const err = await apiFailure(client('wrong-secret').getRoomOnlineUsers({ appId: 'app', roomId: 'r' }));
    expect([err.code, err.retryable, err.httpStatus]).toEqual(['SignatureDoesNotMatch', false, 401]);
    expect(`${err.message} ${JSON.stringify(err)}`).not.toContain('wrong-secret');
    expect(outcomes).toEqual(['SignatureDoesNotMatch']);
  });

  it('times out a hung request at timeoutMs', async () => {
    sim.setFaults({ hang: 1 });
    const err = await apiFailure(client(undefined, 300).getRoomOnlineUsers({ appId: 'app', roomId: 'r' }));
    expect([err.code, err.retryable]).toEqual(['Timeout', true]);
  });

  it('reports a reset connection as ConnectionError', async () => {
    sim.setFaults({ connectionReset: 1 });
    const err = await apiFailure(client().getRoomOnlineUsers({ appId: 'app', roomId: 'r' }));
    expect([err.code, err.retryable]).toEqual(['ConnectionError', true]);
  });

  it('turns a shutdown abort into an AbortError that is not counted as an API outcome', async () => {
    sim.setFaults({ hang: 1 });
    const ac = new AbortController();
    const pending = client(undefined, 60_000).getRoomOnlineUsers({ appId: 'app', roomId: 'r' }, ac.signal);
    setTimeout(() => ac.abort(), 50);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    expect(outcomes).toEqual([]);
  });
});
