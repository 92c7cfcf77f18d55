import { createServer, Server } from 'node:http';
import { AddressInfo, connect, Socket } from 'node:net';
import { Simulator } from '../../src/simulator';
import { VolcClient } from '../../src/volc/client';
import { Credentials } from '../../src/volc/credentials';
import { ApiAgents, createApiAgents } from '../../src/volc/http-agent';
import { makeThrowawayCa, TEST_HOSTNAME, ThrowawayCa } from '../support/throwaway-ca';
import { apiFailure } from '../support/api-failure';

const creds = { accessKeyId: 'AKLTtls', secretAccessKey: 'tls-secret' };

/** The client over HTTPS to the simulator with a private CA: verification, connection reuse, proxies. */
describe('VolcClient over TLS', () => {
  let ca: ThrowawayCa;
  let sim: Simulator;
  let endpoint: string;
  let port: number;
  const agents: ApiAgents[] = [];

  beforeAll(async () => {
    ca = makeThrowawayCa();
    sim = new Simulator({ credentials: creds, rooms: [{ appId: 'app', roomId: 'r', visible: 2, invisible: 1 }], tls: { cert: ca.certPem, key: ca.keyPem } });
    endpoint = await sim.start();
    port = Number(new URL(endpoint).port);
  });
  afterAll(async () => {
    for (const a of agents) a.destroy();
    await sim.stop();
    ca.remove();
  });

  const client = (opts: { ca?: string; endpoint?: string } = {}): VolcClient => {
    const a = createApiAgents({ ca: opts.ca, idleTimeoutMs: 30_000 });
    agents.push(a);
    return new VolcClient({ endpoint: opts.endpoint ?? endpoint, region: 'cn-north-1', service: 'rtc', version: '2023-08-01', timeoutMs: 3000, credentials: new Credentials(creds.accessKeyId, creds.secretAccessKey), agents: a });
  };


  it('serves HTTPS from the simulator and verifies it with the configured CA, reusing one connection', async () => {
    expect(endpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const before = sim.stats().tlsHandshakes;
    const c = client({ ca: ca.caPem });
    for (let i = 0; i < 5; i++) expect(await c.getRoomOnlineUsers({ appId: 'app', roomId: 'r' })).toMatchObject({ exists: true, totalUsers: 3 });
    expect(sim.stats().tlsHandshakes - before).toBe(1);
  });

  it('refuses a server its CA does not vouch for, even with NODE_TLS_REJECT_UNAUTHORIZED=0 in the environment', async () => {
    const saved = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const err = await apiFailure(client().getRoomOnlineUsers({ appId: 'app', roomId: 'r' }));
      expect(err.code).toBe('ConnectionError');
      expect(err.message).toMatch(/CERT|SELF_SIGNED|UNABLE_TO_VERIFY/);
    } finally {
      warn.mockRestore();
      if (saved === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
      else process.env.NODE_TLS_REJECT_UNAUTHORIZED = saved;
    }
  });

  describe('through an HTTPS_PROXY (CONNECT tunnel)', () => {
    let proxy: Server;
    const tunnels: string[] = [];
    const open = new Set<Socket>();
    const saved = { HTTPS_PROXY: process.env.HTTPS_PROXY, NO_PROXY: process.env.NO_PROXY, https_proxy: process.env.https_proxy, no_proxy: process.env.no_proxy };

    beforeAll(async () => {
      // A minimal CONNECT proxy: every tunnel goes to the simulator, so api.rtc.test (which has no DNS
      // entry) is reachable only through it; a request that bypasses the proxy fails to resolve.
      proxy = createServer((_req, res) => res.writeHead(405).end());
      proxy.on('connect', (req, client: Socket, head: Buffer) => {
        tunnels.push(req.url ?? '');
        open.add(client);
        const upstream = connect(port, '127.0.0.1', () => {
          client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
          upstream.write(head);
          upstream.pipe(client);
          client.pipe(upstream);
        });
        open.add(upstream);
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
      });
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
      for (const k of Object.keys(saved)) delete process.env[k];
      process.env.HTTPS_PROXY = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      // Tunnelled sockets are no longer the HTTP server's connections: end them here.
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    });

    it('tunnels to the endpoint and still verifies its certificate with the configured CA', async () => {
      const snap = await client({ ca: ca.caPem, endpoint: `https://${TEST_HOSTNAME}:${port}` }).getRoomOnlineUsers({ appId: 'app', roomId: 'r' });
      expect(snap).toMatchObject({ exists: true, totalUsers: 3 });
      expect(tunnels).toContain(`${TEST_HOSTNAME}:${port}`);
      const err = await apiFailure(client({ endpoint: `https://${TEST_HOSTNAME}:${port}` }).getRoomOnlineUsers({ appId: 'app', roomId: 'r' }));
      expect(err.message).toMatch(/CERT|SELF_SIGNED|UNABLE_TO_VERIFY/);
    });

    it('goes direct for a host in NO_PROXY', async () => {
      process.env.NO_PROXY = `.rtc.test`;
      try {
        const before = tunnels.length;
        const err = await apiFailure(client({ ca: ca.caPem, endpoint: `https://${TEST_HOSTNAME}:${port}` }).getRoomOnlineUsers({ appId: 'app', roomId: 'r' }));
        expect(err.message).toMatch(/ENOTFOUND|EAI_AGAIN/);
        expect(tunnels.length).toBe(before);
      } finally {
        delete process.env.NO_PROXY;
      }
    });
  });
});
