import { Simulator } from '../../src/simulator';
import { RunningDaemon, startDaemon } from '../support/daemon-process';
import { metricValue } from '../support/served-oracle';
import { makeThrowawayCa, ThrowawayCa } from '../support/throwaway-ca';
import { waitFor } from '../support/wait-for';

/**
 * The built daemon against the simulator over HTTPS, as against the real API: a throwaway CA given as
 * api.caFile, the rate cap held at the server, and connections kept across cycles. The schedule's period
 * (10 s, ticks evenly spaced) leaves the pool idle for longer than Node's default 5 s keep-alive between
 * two cycles, so a cold connection per cycle would show up as a new TLS handshake per cycle.
 */

const QPS = 5;
const credentials = { accessKeyId: 'AKLTtls', secretAccessKey: 'tls-secret-never-printed' };
const rooms = Array.from({ length: 12 }, (_, i) => ({ appId: 'app', roomId: `room-${i}`, visible: 3, invisible: 1, churn: { joinsPerMinute: 20, leavesPerMinute: 20 } }));

describe('daemon against the simulator over TLS', () => {
  let ca: ThrowawayCa;
  let sim: Simulator;
  let daemon: RunningDaemon | undefined;

  beforeAll(async () => {
    ca = makeThrowawayCa();
    // The simulator's own cap one above ours: any second over it would be a 429 in the stats.
    sim = new Simulator({ credentials, rooms, capQps: QPS + 1, seed: 11, tls: { cert: ca.certPem, key: ca.keyPem } });
    const endpoint = await sim.start();
    expect(endpoint).toMatch(/^https:/);
    daemon = await startDaemon({
      credentials,
      config: {
        api: { endpoint, caFile: ca.caFile, timeoutMs: 3000 },
        rateLimit: { qps: QPS },
        schedule: '*/10 * * * * *',
        events: { log: false },
        rooms: rooms.map((r) => ({ appId: r.appId, roomId: r.roomId })),
      },
    });
  });

  afterAll(async () => {
    await daemon?.stop();
    await sim?.stop();
    ca?.remove();
  });

  const cycles = async (): Promise<number> => metricValue(await (await fetch(`${daemon!.url}/metrics`)).text(), 'rtc_poll_cycles_total') ?? 0;

  it('polls over HTTPS with the configured CA, holds the cap at the server, and reuses its connections across cycles', async () => {
    const atReady = sim.stats();
    const firstCycles = await cycles();
    expect(firstCycles).toBeGreaterThanOrEqual(1);
    expect(atReady.byCode.Success).toBeGreaterThanOrEqual(rooms.length);
    expect(atReady.tlsHandshakes).toBeGreaterThanOrEqual(1);

    await waitFor('three more poll cycles', async () => ((await cycles()) >= firstCycles + 3 ? true : undefined), { timeoutMs: 45_000 });
    const end = sim.stats();
    const text = await (await fetch(`${daemon!.url}/metrics`)).text();

    // After the first cycle every request succeeded, signed and verified over TLS, and none was throttled.
    // The simulator admits at most QPS + 1 requests in any rolling second (it answers 429 to the next), so
    // no new 429 means no later second at the server held more than QPS + 1. (The first cycle opens its
    // connections cold; under heavy machine load their handshakes can delay the first requests into one
    // second. That start-up case belongs to the limiter, not to connection reuse, and is left out here.)
    const later = end.requests - atReady.requests;
    expect(later).toBeGreaterThanOrEqual(3 * rooms.length);
    expect((end.byCode.Success ?? 0) - (atReady.byCode.Success ?? 0)).toBe(later);
    expect(end.throttled).toBe(atReady.throttled);
    expect(text).not.toMatch(/^rtc_api_requests_total\{action="GetRoomOnlineUsers",code="ConnectionError"\}/m);

    // One handshake per socket, and the sockets of the first cycle serve the later ones: none is closed
    // between cycles. With Node's default 5 s idle timeout, each cycle that starts more than 5 s after the
    // previous one ended finds its sockets closed and opens new ones. (A loaded machine may still open an
    // extra socket when two requests overlap; that is concurrency, not a lost connection.)
    expect(end.tlsHandshakes).toBe(end.connections);
    expect(end.connectionsClosed).toBe(0);
    expect(end.tlsHandshakes - atReady.tlsHandshakes).toBeLessThanOrEqual(2);
    expect(end.tlsHandshakes).toBeLessThan(end.requests / 4);
  }, 60_000);
});
