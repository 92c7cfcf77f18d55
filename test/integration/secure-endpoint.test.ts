import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashSync } from 'bcryptjs';
import { Simulator } from '../../src/simulator';
import { RunningDaemon, startDaemon } from '../support/daemon-process';
import { freePort } from '../support/free-port';
import { RunningPrometheus, startPrometheus } from '../support/prometheus-process';
import { describeWithRequirements, executable, fileRequirement } from '../support/required-tools';
import { DAEMON_CLI } from '../support/repo-paths';
import { metricValue } from '../support/served-oracle';
import { makeTestPki, TestPki } from '../support/test-pki';
import { tlsRequest, TlsRequestOptions } from '../support/tls-request';
import { waitFor } from '../support/wait-for';

/**
 * The built daemon with --web.config.file: TLS with required client certificates and basic auth, scraped
 * by a real Prometheus the way a user would configure it (scrape_config tls_config + basic_auth), and
 * refused without credentials, with a wrong password, and without a trusted client certificate. The web
 * config is edited while the daemon runs and must take effect without a restart.
 */

const credentials = { accessKeyId: 'AKLTsecure', secretAccessKey: 'secure-endpoint-secret-never-printed' };
const JOB = 'secured-monitor';
const PASSWORD = 'correct horse battery staple';
// Cost 10, as `htpasswd -nBC 10` makes them; htpasswd writes the $2y$ prefix.
const htpasswd = (password: string): string => hashSync(password, 10).replace(/^\$2b\$/, '$2y$');

describeWithRequirements(
  'secured endpoint (TLS, client certificates, basic auth) with a real Prometheus',
  [executable('prometheus'), executable('openssl', 'apt-get install openssl'), fileRequirement('dist/src/cli.js', existsSync(DAEMON_CLI), 'run npm run build')],
  () => {
    let pki: TestPki;
    let dir: string;
    let webFile: string;
    let sim: Simulator | undefined;
    let daemon: RunningDaemon | undefined;
    let prom: RunningPrometheus | undefined;
    let client: TlsRequestOptions;
    const promHash = htpasswd(PASSWORD);

    const webConfig = (users: Record<string, string>): string =>
      [
        'tls_server_config:',
        `  cert_file: ${pki.serverCert}`,
        `  key_file: ${pki.serverKey}`,
        `  client_ca_file: ${pki.caCert}`,
        '  client_auth_type: RequireAndVerifyClientCert',
        'http_server_config:',
        '  headers:',
        '    X-Content-Type-Options: nosniff',
        'basic_auth_users:',
        ...Object.entries(users).map(([u, h]) => `  ${u}: '${h}'`),
        '',
      ].join('\n');

    const get = (path: string, extra: TlsRequestOptions = {}) => tlsRequest(`${daemon!.url}${path}`, { ...client, ...extra });

    beforeAll(async () => {
      pki = makeTestPki();
      dir = mkdtempSync(join(tmpdir(), 'rtc-secure-int-'));
      webFile = join(dir, 'web-config.yml');
      writeFileSync(webFile, webConfig({ prometheus: promHash }));
      client = { ca: pki.read(pki.caCert), cert: pki.read(pki.clientCert), key: pki.read(pki.clientKey), auth: { user: 'prometheus', password: PASSWORD } };

      sim = new Simulator({ credentials, rooms: [{ appId: 'app', roomId: 'r1', visible: 3, invisible: 1, churn: { paused: true } }] });
      const endpoint = await sim.start();
      daemon = await startDaemon({
        credentials,
        env: { LOG_LEVEL: 'info' },
        args: [`--web.config.file=${webFile}`],
        scheme: 'https',
        status: async (url) => (await tlsRequest(url, client)).status,
        config: { api: { endpoint }, schedule: '*/1 * * * * *', events: { log: false }, rooms: [{ appId: 'app', roomId: 'r1' }] },
      });

      const port = await freePort();
      const job = (name: string, opts: { password?: string; clientCert: boolean }): string[] => [
        `  - job_name: ${name}`,
        '    scheme: https',
        ...(opts.password === undefined ? [] : ['    basic_auth:', '      username: prometheus', `      password: '${opts.password}'`]),
        '    tls_config:',
        `      ca_file: ${pki.caCert}`,
        ...(opts.clientCert ? [`      cert_file: ${pki.clientCert}`, `      key_file: ${pki.clientKey}`] : []),
        '    static_configs:',
        `      - targets: ['${daemon!.target}']`,
      ];
      const configYaml = [
        'global:',
        '  scrape_interval: 1s',
        '  scrape_timeout: 1s',
        'scrape_configs:',
        ...job(JOB, { password: PASSWORD, clientCert: true }),
        // The same Prometheus, misconfigured three ways: each target must be down.
        ...job('no-credentials', { clientCert: true }),
        ...job('wrong-password', { password: 'not the password', clientCert: true }),
        ...job('no-client-certificate', { password: PASSWORD, clientCert: false }),
        '',
      ].join('\n');
      prom = await startPrometheus({ configYaml, port });
    }, 60_000);

    afterAll(async () => {
      await prom?.stop();
      await daemon?.stop();
      await sim?.stop();
      rmSync(dir, { recursive: true, force: true });
      pki?.remove();
    });

    it('is scraped by Prometheus over TLS with a client certificate and basic auth', async () => {
      await waitFor(
        'Prometheus to scrape the secured daemon (up == 1) and store its rooms',
        async () => {
          prom?.process.assertRunning();
          daemon?.process.assertRunning();
          const up = await prom!.query(`up{job="${JOB}"} == 1`);
          const rooms = await prom!.query(`rtc_rooms_configured{job="${JOB}"}`);
          return up.ok && up.series.length === 1 && rooms.ok && rooms.series[0]?.value[1] === '1' ? true : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 250 },
      ).catch(async (err: unknown) => {
        const targets = await prom?.api<unknown>('targets').catch(() => 'n/a');
        throw new Error(`${(err as Error).message}\ntargets: ${JSON.stringify(targets)}\n--- daemon ---\n${daemon?.process.output()}`);
      });
      const targets = await prom!.api<{ activeTargets: { labels: Record<string, string>; health: string; lastError: string }[] }>('targets');
      expect(targets.activeTargets.filter((t) => t.labels.job === JOB).map((t) => ({ health: t.health, lastError: t.lastError }))).toEqual([{ health: 'up', lastError: '' }]);
    });

    it('is down for a Prometheus without credentials, with a wrong password, or without the client certificate', async () => {
      type Target = { labels: Record<string, string>; health: string; lastError: string };
      const others = await waitFor(
        'the misconfigured jobs to have been scraped',
        async () => {
          const all = (await prom!.api<{ activeTargets: Target[] }>('targets')).activeTargets.filter((t) => t.labels.job !== JOB);
          return all.length === 3 && all.every((t) => t.health !== 'unknown') ? all : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 250 },
      );
      const byJob: Record<string, Target> = Object.fromEntries(others.map((t) => [t.labels.job, t]));
      expect(Object.values(byJob).map((t) => t.health)).toEqual(['down', 'down', 'down']);
      expect(byJob['no-credentials']?.lastError).toMatch(/HTTP status 401/);
      expect(byJob['wrong-password']?.lastError).toMatch(/HTTP status 401/);
      // Refused in the TLS layer, before any HTTP (Go: "remote error: tls: certificate required" on TLS 1.3).
      expect(byJob['no-client-certificate']?.lastError).toMatch(/tls|certificate/i);
      expect(byJob['no-client-certificate']?.lastError).not.toMatch(/HTTP status/);
    });

    it('refuses a request without credentials or with a wrong password (401), and adds the configured header', async () => {
      const none = await get('/metrics', { auth: undefined });
      expect([none.status, none.headers['www-authenticate'], none.headers['x-content-type-options']]).toEqual([401, 'Basic realm="rtc-room-monitor", charset="UTF-8"', 'nosniff']);
      expect(none.body).not.toContain('rtc_');
      const wrong = await get('/metrics', { auth: { user: 'prometheus', password: 'wrong' } });
      expect(wrong.status).toBe(401);
      expect((await get('/-/healthy', { auth: { user: 'nobody', password: PASSWORD } })).status).toBe(401);
      const right = await get('/metrics');
      expect(right.status).toBe(200);
      expect(right.body).toContain('rtc_rooms_configured 1');
    });

    it('fails the TLS handshake for a client without a certificate or with one from another CA', async () => {
      await expect(get('/metrics', { cert: undefined, key: undefined })).rejects.toThrow(); // no HTTP response at all: the connection fails
      await expect(get('/metrics', { cert: pki.read(pki.strangerCert), key: pki.read(pki.strangerKey) })).rejects.toThrow(); // no HTTP response at all: the connection fails
      // Plain HTTP on the TLS port gets no answer that a scraper could mistake for metrics.
      const plain = await fetch(`http://${daemon!.target}/metrics`).then(
        (r) => r.status,
        () => 'connection closed',
      );
      expect(plain).not.toBe(200);
      const text = (await get('/metrics')).body;
      expect(metricValue(text.replace(/^(rtc_http_refused_total)\{reason="tls_handshake"\}/m, '$1_tls'), 'rtc_http_refused_total_tls')).toBeGreaterThanOrEqual(2);
    });

    it('keeps POST /-/reload off without --web.enable-lifecycle', async () => {
      const res = await get('/-/reload', { method: 'POST' });
      expect([res.status, res.body]).toEqual([403, 'Lifecycle API is not enabled.\n']);
    });

    it('re-reads the web config when it changes: a new user works without a restart, a bad edit is kept out', async () => {
      const carol = { user: 'carol', password: 'carol-pass' };
      expect((await get('/metrics', { auth: carol })).status).toBe(401);
      writeFileSync(webFile, webConfig({ prometheus: promHash, carol: htpasswd(carol.password) }));
      await waitFor('the new user to be accepted', async () => ((await get('/-/healthy', { auth: carol })).status === 200 ? true : undefined), { timeoutMs: 25_000 });

      writeFileSync(webFile, webConfig({ prometheus: promHash, carol: htpasswd(carol.password) }).replace('RequireAndVerifyClientCert', 'Sometimes'));
      await waitFor(
        'the bad web config to be rejected',
        async () => (metricValue((await get('/metrics')).body, 'rtc_web_config_last_reload_successful') === 0 ? true : undefined),
        { timeoutMs: 25_000 },
      );
      expect(daemon!.process.output()).toContain('tls_server_config.client_auth_type: must be one of');
      // The previous web config is still in force: carol still gets in, a client certificate is still required.
      expect((await get('/metrics', { auth: carol })).status).toBe(200);
      await expect(get('/metrics', { cert: undefined, key: undefined })).rejects.toThrow();
    });
  },
);
