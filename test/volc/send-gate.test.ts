import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { AddressInfo, connect, createServer, Server, Socket } from 'node:net';
import { AbortError, monotonicClock } from '../../src/clock';
import { SlidingWindowLimiter } from '../../src/ratelimit/limiter';
import { Simulator } from '../../src/simulator';
import { VolcClient } from '../../src/volc/client';
import { Credentials } from '../../src/volc/credentials';
import { ApiAgents, createApiAgents } from '../../src/volc/http-agent';
import { REQUEST_SENT_CHANNEL } from '../../src/volc/send-gate';
import { makeThrowawayCa, ThrowawayCa } from '../support/throwaway-ca';
import { maxInAnyWindow } from '../support/rolling-window';

/**
 * Issue #18 (weak point after defect 10): the permit's start must be the moment the request's bytes can
 * leave. A new TLS connection's handshake comes after the client hands the request over; if the start
 * were counted before it, a slow handshake would make that request arrive late, in the same second as the
 * requests granted after it. Here a TCP proxy slows the handshakes of the first second's connections by a
 * second: counted at their grants, those QPS requests would arrive in the next second together with the
 * QPS granted then (2 × QPS in a rolling second at the server); counted when they can leave, the server
 * sees QPS. The simulator shares this process (its arrival stamps take this event loop's delays, such as the
 * handshakes' own crypto on a loaded machine), so the server-side check allows QPS + 1, as the project's
 * cap target does; the client's release instants (the send-gate channel) must stay at QPS exactly.
 */

const creds = { accessKeyId: 'AKLTgate', secretAccessKey: 'gate-secret' };
const QPS = 10;
const REQUESTS = 3 * QPS;
/** Handshake delays of the new connections, in the order they are opened (then 0): the first second's. */
const DELAYS_MS: readonly number[] = Array.from({ length: QPS }, () => 1000);

/** Forwards to `port`; holds the first bytes of each new connection (the TLS ClientHello) for its delay. */
function slowHandshakeProxy(port: number): Server {
  let opened = 0;
  return createServer((client: Socket) => {
    const delay = DELAYS_MS[opened++] ?? 0;
    const upstream = connect(port, '127.0.0.1');
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    upstream.pipe(client);
    client.once('data', (hello: Buffer) => {
      client.pause();
      setTimeout(() => {
        upstream.write(hello);
        client.pipe(upstream);
        client.resume();
      }, delay);
    });
  });
}


describe('VolcClient: the start is counted when the socket is ready', () => {
  let ca: ThrowawayCa;
  let sim: Simulator;
  let proxy: Server;
  let agents: ApiAgents;
  const pools: ApiAgents[] = [];

  beforeAll(async () => {
    ca = makeThrowawayCa();
    sim = new Simulator({ credentials: creds, rooms: [{ appId: 'app', roomId: 'r', visible: 2 }], tls: { cert: ca.certPem, key: ca.keyPem }, capQps: 1000 });
    const port = Number(new URL(await sim.start()).port);
    proxy = slowHandshakeProxy(port);
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    agents = createApiAgents({ ca: ca.caPem, idleTimeoutMs: 30_000 });
  });
  afterAll(async () => {
    agents.destroy();
    for (const p of pools) p.destroy();
    proxy.close();
    await sim.stop();
    ca.remove();
  });

  it(`slow handshakes on new connections: at most ${QPS} released and ${QPS + 1} at the server in any rolling second (counted at the grant: 2 × ${QPS})`, async () => {
    const endpoint = `https://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const client = new VolcClient({ endpoint, region: 'cn-north-1', service: 'rtc', version: '2023-08-01', timeoutMs: 5000, credentials: new Credentials(creds.accessKeyId, creds.secretAccessKey), agents });
    const limiter = new SlidingWindowLimiter(monotonicClock, { current: () => QPS }, QPS);
    const sent: number[] = [];
    const onSent = (): void => void sent.push(performance.now());
    subscribe(REQUEST_SENT_CHANNEL, onSent);
    const results = await Promise.allSettled(
      [...Array(REQUESTS).keys()].map(async () => {
        const permit = await limiter.permit();
        return client.getRoomOnlineUsers({ appId: 'app', roomId: 'r' }, undefined, permit);
      }),
    ).finally(() => unsubscribe(REQUEST_SENT_CHANNEL, onSent));
    limiter.close();
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(sim.stats().tlsHandshakes).toBeGreaterThanOrEqual(QPS / 2); // the slow handshakes did happen
    expect(sent).toHaveLength(REQUESTS);
    expect(maxInAnyWindow(sent)).toBeLessThanOrEqual(QPS);
    expect(sim.stats().maxRequestsInAnyWindow).toBeLessThanOrEqual(QPS + 1);
  }, 30_000);

  /** A client with its own pool: its first request opens a new connection, the next ones reuse it. */
  const direct = (): VolcClient => {
    const own = createApiAgents({ ca: ca.caPem, idleTimeoutMs: 30_000 });
    pools.push(own);
    return new VolcClient({ endpoint: `https://127.0.0.1:${(proxy.address() as AddressInfo).port}`, region: 'cn-north-1', service: 'rtc', version: '2023-08-01', timeoutMs: 5000, credentials: new Credentials(creds.accessKeyId, creds.secretAccessKey), agents: own });
  };

  it('runs the gate once per request, new connection or reused, and sends after it', async () => {
    const client = direct();
    const handshakes = sim.stats().tlsHandshakes;
    for (let i = 0; i < 3; i++) {
      let gated = 0;
      const before = sim.stats().requests;
      const snap = await client.getRoomOnlineUsers({ appId: 'app', roomId: 'r' }, undefined, {
        start: async () => {
          gated++;
          // Held by the gate: nothing has reached the server yet.
          expect(sim.stats().requests).toBe(before);
        },
      });
      expect(snap.exists).toBe(true);
      expect(gated).toBe(1);
    }
    expect(sim.stats().tlsHandshakes - handshakes).toBe(1);
  });

  it(`publishes ${REQUEST_SENT_CHANNEL} once per request, after its gate resolved (the start on the wire)`, async () => {
    const client = direct();
    const order: string[] = [];
    const onSent = (): void => void order.push('sent');
    subscribe(REQUEST_SENT_CHANNEL, onSent);
    try {
      for (let i = 0; i < 2; i++) {
        await client.getRoomOnlineUsers({ appId: 'app', roomId: 'r' }, undefined, { start: async () => void order.push('gate') });
      }
    } finally {
      unsubscribe(REQUEST_SENT_CHANNEL, onSent);
    }
    expect(order).toEqual(['gate', 'sent', 'gate', 'sent']);
  });

  it('a start that no longer holds at the send (a continuation ran between) is waited for again before anything leaves', async () => {
    const client = direct();
    const before = sim.stats().requests;
    const calls: string[] = [];
    let holds = 0;
    const snap = await client.getRoomOnlineUsers({ appId: 'app', roomId: 'r' }, undefined, {
      start: async () => void calls.push('start'),
      holds: () => {
        calls.push('holds');
        expect(sim.stats().requests).toBe(before);
        return ++holds > 1;
      },
    });
    expect(snap.exists).toBe(true);
    expect(calls).toEqual(['start', 'holds', 'start', 'holds']);
    expect(sim.stats().requests).toBe(before + 1);
  });

  it('a gate that rejects with AbortError (the limiter closed: shutdown) sends nothing and rejects with AbortError', async () => {
    const before = sim.stats().requests;
    await expect(direct().getRoomOnlineUsers({ appId: 'app', roomId: 'r' }, undefined, { start: () => Promise.reject(new AbortError('limiter closed')) })).rejects.toBeInstanceOf(AbortError);
    expect(sim.stats().requests).toBe(before);
  });
});
