import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashSync } from 'bcryptjs';
import pino from 'pino';
import { HttpServer } from '../../src/http/server';
import { RefusalReason, SecureEndpoint } from '../../src/http/secure-server';
import { loadWebConfigFile } from '../../src/http/web-config-file';
import { WebConfigWatcher } from '../../src/http/web-config-watcher';
import { makeTestPki, TestPki } from '../support/test-pki';
import { tlsRequest } from '../support/tls-request';
import { waitFor } from '../support/wait-for';

/** The HTTP server in-process with a web config: every route behind TLS, client certs and basic auth. */

const logger = pino({ level: 'silent' });
const hash = (password: string): string => hashSync(password, 4).replace(/^\$2b\$/, '$2y$');

describe('SecureEndpoint server limits', () => {
  it('sets the timeouts and closes connections beyond maxConnections', async () => {
    const endpoint = new SecureEndpoint(undefined, { logger, clock: { now: () => 0 } });
    const server = endpoint.createServer((_req, res) => res.end('ok'), { maxConnections: 1, headersTimeoutMs: 1000, requestTimeoutMs: 2000, keepAliveTimeoutMs: 3000 });
    expect([server.headersTimeout, server.requestTimeout, server.keepAliveTimeout, server.maxConnections]).toEqual([1000, 2000, 3000, 1]);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const open = (): Promise<Socket> => new Promise((resolve, reject) => { const s = connect(port, '127.0.0.1', () => resolve(s)); s.on('error', reject); });
    const accepted = new Promise((r) => server.once('connection', r));
    const first = await open();
    await accepted;
    const second = await open();
    const closed = await new Promise<boolean>((resolve) => {
      second.on('data', () => resolve(false));
      second.on('close', () => resolve(true));
      second.on('error', () => resolve(true));
      second.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    });
    expect(closed).toBe(true);
    first.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});

describe('SecureEndpoint against a slow client', () => {
  it('answers 408 and closes a connection whose headers do not arrive within headersTimeoutMs', async () => {
    const endpoint = new SecureEndpoint(undefined, { logger, clock: { now: () => 0 } });
    const server = endpoint.createServer((_req, res) => res.end('ok'), { maxConnections: 10, headersTimeoutMs: 200, requestTimeoutMs: 300, keepAliveTimeoutMs: 1000 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const reply = await new Promise<string>((resolve, reject) => {
      let got = '';
      const s = connect(port, '127.0.0.1', () => s.write('GET /metrics HTTP/1.1\r\nHost: x\r\n')); // never finishes its headers
      s.on('data', (c: Buffer) => (got += c.toString()));
      s.on('close', () => resolve(got));
      s.on('error', reject);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 408/);
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});

describe('HttpServer behind a web config', () => {
  let pki: TestPki;
  let dir: string;
  let server: HttpServer | undefined;
  let reloads = 0;
  const refused: RefusalReason[] = [];

  beforeAll(() => {
    pki = makeTestPki();
  });
  afterAll(() => pki.remove());
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rtc-secure-'));
    for (const f of ['server.crt', 'server.key', 'ca.crt', 'client.crt', 'client.key']) copyFileSync(join(pki.dir, f), join(dir, f));
    reloads = 0;
    refused.length = 0;
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  const writeWeb = (text: string): string => {
    const file = join(dir, 'web.yml');
    writeFileSync(file, text);
    return file;
  };

  async function start(webText: string | undefined, enableLifecycle = false, openPaths: string[] = []): Promise<{ url: string; endpoint: SecureEndpoint; file?: string }> {
    const file = webText === undefined ? undefined : writeWeb(webText);
    const endpoint = new SecureEndpoint(file ? loadWebConfigFile(file) : undefined, { logger, clock: { now: () => Date.now() }, observer: { refused: (r) => refused.push(r) } });
    endpoint.setOpenPaths(openPaths);
    server = new HttpServer(
      {
        metrics: async () => ({ contentType: 'text/plain', body: [{ text: 'rtc_up 1\n' }] }),
        ready: () => true,
        reload: async () => {
          reloads++;
          return undefined;
        },
        routes: (_req, res, path) => {
          if (path !== '/' && path !== '/callbacks/rtc') return false;
          res.end(path === '/' ? 'hi' : 'callback');
          return true;
        },
      },
      logger,
      { endpoint, enableLifecycle },
    );
    const addr = await server.listen('127.0.0.1', 0);
    return { url: `${endpoint.tlsEnabled ? 'https' : 'http'}://127.0.0.1:${addr.port}`, endpoint, file };
  }

  it('asks for basic auth on every route and adds the configured headers to every response', async () => {
    const { url } = await start(`basic_auth_users:\n  alice: '${hash('right')}'\nhttp_server_config:\n  headers:\n    X-Content-Type-Options: nosniff\n`);
    for (const path of ['/metrics', '/-/healthy', '/-/ready', '/', '/no-such-route']) {
      const res = await tlsRequest(`${url}${path}`);
      expect({ path, status: res.status, www: res.headers['www-authenticate'], nosniff: res.headers['x-content-type-options'] }).toEqual({
        path,
        status: 401,
        www: 'Basic realm="rtc-room-monitor", charset="UTF-8"',
        nosniff: 'nosniff',
      });
    }
    expect((await tlsRequest(`${url}/metrics`, { auth: { user: 'alice', password: 'wrong' } })).status).toBe(401);
    const ok = await tlsRequest(`${url}/metrics`, { auth: { user: 'alice', password: 'right' } });
    expect([ok.status, ok.body, ok.headers['x-content-type-options']]).toEqual([200, 'rtc_up 1\n', 'nosniff']);
    expect(refused).toEqual(Array(6).fill('unauthorized'));
  });

  it('warns when the web config leaves the endpoint open or sends passwords in clear text', async () => {
    const warn = (text: string): string[] => new SecureEndpoint(loadWebConfigFile(writeWeb(text)), { logger, clock: { now: () => 0 } }).warnings();
    expect(warn('http_server_config:\n  headers:\n    X-Frame-Options: deny\n')).toEqual(['the web config sets neither TLS nor basic_auth_users: the endpoint is open']);
    expect(warn(`basic_auth_users:\n  alice: '${hash('a')}'\n`)).toEqual(['basic auth without TLS: passwords cross the network in clear text']);
    expect(warn(`tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\nbasic_auth_users:\n  alice: '${hash('a')}'\n`)).toEqual([]);
    expect(new SecureEndpoint(undefined, { logger, clock: { now: () => 0 } }).warnings()).toEqual([]);
  });

  it('refuses POST /-/reload without --web.enable-lifecycle, even with valid credentials', async () => {
    const { url } = await start(`basic_auth_users:\n  alice: '${hash('right')}'\n`);
    const res = await tlsRequest(`${url}/-/reload`, { method: 'POST', auth: { user: 'alice', password: 'right' } });
    expect([res.status, res.body]).toEqual([403, 'Lifecycle API is not enabled.\n']);
    expect(reloads).toBe(0);
  });

  it('with --web.enable-lifecycle reloads on a plain POST but not on a cross-site form post', async () => {
    const { url } = await start(undefined, true);
    const form = await tlsRequest(`${url}/-/reload`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'http://evil.example' } });
    expect(form.status).toBe(403);
    const oldBrowserForm = await tlsRequest(`${url}/-/reload`, { method: 'POST', headers: { 'Content-Type': 'text/plain' } });
    expect(oldBrowserForm.status).toBe(415);
    expect(reloads).toBe(0);
    expect((await tlsRequest(`${url}/-/reload`, { method: 'POST' })).status).toBe(200);
    expect(reloads).toBe(1);
  });

  it('requires a client certificate from the client CA (RequireAndVerifyClientCert)', async () => {
    const { url } = await start('tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_ca_file: ca.crt\n  client_auth_type: RequireAndVerifyClientCert\n');
    const ca = pki.read(pki.caCert);
    await expect(tlsRequest(`${url}/metrics`, { ca })).rejects.toThrow();
    await expect(tlsRequest(`${url}/metrics`, { ca, cert: pki.read(pki.strangerCert), key: pki.read(pki.strangerKey) })).rejects.toThrow();
    const ok = await tlsRequest(`${url}/metrics`, { ca, cert: pki.read(pki.clientCert), key: pki.read(pki.clientKey) });
    expect(ok.status).toBe(200);
    expect(ok.peer?.subject.CN).toBe('rtc-room-monitor');
  });

  it('an open path (the vendor callbacks) needs neither basic auth nor a client certificate; every other path still does', async () => {
    const { url } = await start(
      `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_ca_file: ca.crt\n  client_auth_type: RequireAndVerifyClientCert\nbasic_auth_users:\n  alice: '${hash('right')}'\nhttp_server_config:\n  headers:\n    X-Content-Type-Options: nosniff\n`,
      false,
      ['/callbacks/rtc'],
    );
    const ca = pki.read(pki.caCert);
    const open = await tlsRequest(`${url}/callbacks/rtc`, { ca, method: 'POST' });
    expect([open.status, open.body, open.headers['x-content-type-options']]).toEqual([200, 'callback', 'nosniff']);
    // Without a certificate, the same connection kind may not reach anything else, whatever the password.
    const noCert = await tlsRequest(`${url}/metrics`, { ca, auth: { user: 'alice', password: 'right' } });
    expect(noCert.status).toBe(403);
    expect(refused).toEqual(['client_certificate']);
    const stranger = await tlsRequest(`${url}/metrics`, { ca, cert: pki.read(pki.strangerCert), key: pki.read(pki.strangerKey), auth: { user: 'alice', password: 'right' } });
    expect(stranger.status).toBe(403);
    // With a certificate, basic auth still applies off the open path.
    const withCert = { ca, cert: pki.read(pki.clientCert), key: pki.read(pki.clientKey) };
    expect((await tlsRequest(`${url}/metrics`, withCert)).status).toBe(401);
    expect((await tlsRequest(`${url}/metrics`, { ...withCert, auth: { user: 'alice', password: 'right' } })).status).toBe(200);
    expect((await tlsRequest(`${url}/callbacks/rtc/other`, withCert)).status).toBe(401);
  });

  it('drops a client without a certificate after the handshake under RequireAnyClientCert, and counts it', async () => {
    const { url } = await start('tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: RequireAnyClientCert\n');
    const ca = pki.read(pki.caCert);
    await expect(tlsRequest(`${url}/metrics`, { ca })).rejects.toThrow();
    expect(refused).toEqual(['client_certificate']);
    // Any certificate will do, even one from an unknown CA: it is required, not verified.
    expect((await tlsRequest(`${url}/metrics`, { ca, cert: pki.read(pki.strangerCert), key: pki.read(pki.strangerKey) })).status).toBe(200);
  });

  it('picks up an edit through the directory watch, without an explicit check', async () => {
    const { url, endpoint, file } = await start(`basic_auth_users:\n  alice: '${hash('a')}'\n`);
    const watcher = new WebConfigWatcher(file!, loadWebConfigFile(file!), { load: loadWebConfigFile, apply: (next) => endpoint.apply(next), observer: { reloaded: () => undefined }, logger, intervalMs: 0 });
    watcher.start();
    try {
      writeWeb(`basic_auth_users:\n  alice: '${hash('a')}'\n  bob: '${hash('b')}'\n`);
      await waitFor('bob to be accepted', async () => ((await tlsRequest(`${url}/metrics`, { auth: { user: 'bob', password: 'b' } })).status === 200 ? true : undefined), { timeoutMs: 10_000, intervalMs: 50 });
    } finally {
      watcher.close();
    }
  });

  it('applies a re-read web config: new users at once, a renewed certificate on the next connection, a bad file kept out', async () => {
    const { url, endpoint, file } = await start(`tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\nbasic_auth_users:\n  alice: '${hash('a')}'\n`);
    const ca = pki.read(pki.caCert);
    const results: boolean[] = [];
    const watcher = new WebConfigWatcher(file!, loadWebConfigFile(file!), {
      load: loadWebConfigFile,
      apply: (next) => endpoint.apply(next),
      observer: { reloaded: (ok) => results.push(ok) },
      logger,
      intervalMs: 0,
    });
    const before = await tlsRequest(`${url}/metrics`, { ca, auth: { user: 'alice', password: 'a' } });
    expect(before.status).toBe(200);
    expect((await tlsRequest(`${url}/metrics`, { ca, auth: { user: 'bob', password: 'b' } })).status).toBe(401);

    // Renew the certificate (new files) and add bob.
    copyFileSync(pki.renewedCert, join(dir, 'server2.crt'));
    copyFileSync(pki.renewedKey, join(dir, 'server2.key'));
    writeWeb(`tls_server_config:\n  cert_file: server2.crt\n  key_file: server2.key\nbasic_auth_users:\n  alice: '${hash('a')}'\n  bob: '${hash('b')}'\n`);
    expect(watcher.check()).toBeUndefined();
    const after = await tlsRequest(`${url}/metrics`, { ca, auth: { user: 'bob', password: 'b' } });
    expect(after.status).toBe(200);
    expect(after.peer?.fingerprint256).not.toBe(before.peer?.fingerprint256);

    writeWeb(`tls_server_config:\n  cert_file: server2.crt\n  key_file: server.key\n`); // key does not match
    expect(watcher.check()).toMatch(/tls_server_config\.key_file: does not match/);
    expect(watcher.check()).toMatch(/does not match/); // still rejected; logged and counted once
    expect((await tlsRequest(`${url}/metrics`, { ca, auth: { user: 'bob', password: 'b' } })).status).toBe(200);

    writeWeb('basic_auth_users: {}\n');
    expect(watcher.check()).toMatch(/turning TLS off takes effect on restart/);
    expect(results).toEqual([true, false, false]);
    watcher.close();
  });
});
