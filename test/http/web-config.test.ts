import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashSync } from 'bcryptjs';
import { ConfigError } from '../../src/config/load';
import { parseWebConfig } from '../../src/http/web-config';
import { loadWebConfigFile } from '../../src/http/web-config-file';
import { makeTestPki, TestPki } from '../support/test-pki';

const HASH = hashSync('secret', 4).replace(/^\$2b\$/, '$2y$'); // as htpasswd -B writes it

function problems(text: string, file = '/etc/rtc/web.yml'): string[] {
  try {
    parseWebConfig(text, file);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('parseWebConfig', () => {
  it('reads the toolkit format: paths relative to the file, defaults, blank headers unset', () => {
    const cfg = parseWebConfig(
      [
        'tls_server_config:',
        '  cert_file: tls/server.crt',
        '  key_file: /abs/server.key',
        '  client_ca_file: ca.crt',
        '  client_auth_type: RequireAndVerifyClientCert',
        'http_server_config:',
        '  headers:',
        '    X-Frame-Options: deny',
        '    Content-Security-Policy: ""',
        'basic_auth_users:',
        `  alice: '${HASH}'`,
      ].join('\n'),
      '/etc/rtc/web.yml',
    );
    expect(cfg.tls).toEqual({
      cert: { keyPath: 'tls_server_config.cert_file', file: '/etc/rtc/tls/server.crt' },
      key: { keyPath: 'tls_server_config.key_file', file: '/abs/server.key' },
      clientCa: { keyPath: 'tls_server_config.client_ca_file', file: '/etc/rtc/ca.crt' },
      clientAuthType: 'RequireAndVerifyClientCert',
      clientAllowedSans: undefined,
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.3',
      preferServerCipherSuites: true,
      curves: undefined,
    });
    expect(cfg.headers).toEqual({ 'X-Frame-Options': 'deny' });
    expect(cfg.users).toEqual({ alice: HASH });
  });

  it('serves plain HTTP when no TLS key is set, as the toolkit does', () => {
    expect(parseWebConfig(`basic_auth_users:\n  bob: '${HASH}'\n`, 'w.yml')).toEqual({ tls: undefined, headers: {}, users: { bob: HASH } });
    expect(parseWebConfig('tls_server_config:\n  min_version: TLS13\n', 'w.yml').tls).toBeUndefined();
    expect(parseWebConfig('', 'w.yml')).toEqual({ tls: undefined, headers: {}, users: {} });
  });

  it('maps versions, curves, inline PEM and the old RequireClientCert name', () => {
    const cfg = parseWebConfig(
      'tls_server_config:\n  cert: "-----BEGIN CERTIFICATE-----"\n  key_file: k.pem\n  client_auth_type: RequireClientCert\n  min_version: TLS13\n  curve_preferences: [X25519, CurveP256]\n  prefer_server_cipher_suites: false\n',
      '/w/web.yml',
    );
    expect(cfg.tls).toMatchObject({
      cert: { keyPath: 'tls_server_config.cert', inline: '-----BEGIN CERTIFICATE-----' },
      clientAuthType: 'RequireAnyClientCert',
      minVersion: 'TLSv1.3',
      curves: ['X25519', 'P-256'],
      preferServerCipherSuites: false,
    });
  });

  it.each([
    ['an unknown top-level key', 'tls_config: {}\n', ['tls_config: unknown key']],
    ['an unknown TLS key', 'tls_server_config:\n  certfile: a\n', ['tls_server_config.certfile: unknown key']],
    ['a bad client_auth_type', 'tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: Required\n', [expect.stringMatching(/^tls_server_config\.client_auth_type: must be one of NoClientCert, RequestClientCert/)]],
    ['a bad min_version', 'tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS1.2\n', ['tls_server_config.min_version: must be one of TLS10, TLS11, TLS12, TLS13']],
    ['min above max', 'tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS13\n  max_version: TLS12\n', ['tls_server_config.min_version: must not be above max_version (TLS12)']],
    ['a key without a certificate', 'tls_server_config:\n  key_file: b\n', ['tls_server_config.cert_file: is required when TLS is configured (or cert inline)']],
    ['cert and cert_file', 'tls_server_config:\n  cert: x\n  cert_file: a\n  key_file: b\n', ['tls_server_config.cert_file: set cert or cert_file, not both']],
    ['a client CA with NoClientCert', 'tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: c\n', [expect.stringMatching(/^tls_server_config\.client_auth_type: a client CA is set/)]],
    ['verification without a CA', 'tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: RequireAndVerifyClientCert\n', ['tls_server_config.client_ca_file: is required when client_auth_type is RequireAndVerifyClientCert']],
    ['allowed SANs with optional certificates', 'tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: c\n  client_auth_type: VerifyClientCertIfGiven\n  client_allowed_sans: [x]\n', [expect.stringMatching(/^tls_server_config\.client_allowed_sans: needs client_auth_type RequireAnyClientCert/)]],
    ['cipher suites', 'tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: [TLS_AES_128_GCM_SHA256]\n', [expect.stringMatching(/^tls_server_config\.cipher_suites: not supported by rtc-room-monitor/)]],
    ['a rate limit', 'rate_limit:\n  interval: 1s\n  burst: 5\n', [expect.stringMatching(/^rate_limit: not supported by rtc-room-monitor/)]],
    ['a header that can not be set', 'http_server_config:\n  headers:\n    Server: nginx\n', [expect.stringMatching(/^http_server_config\.headers\.Server: can not be configured \(allowed: Strict-Transport-Security/)]],
    ['a bad X-Content-Type-Options', 'http_server_config:\n  headers:\n    X-Content-Type-Options: sniff\n', ['http_server_config.headers.X-Content-Type-Options: must be one of nosniff']],
    ['a bad X-Frame-Options', 'http_server_config:\n  headers:\n    X-Frame-Options: allow\n', ['http_server_config.headers.X-Frame-Options: must be one of deny, sameorigin']],
    ['an unknown http_server_config key', 'http_server_config:\n  timeout: 5\n', ['http_server_config.timeout: unknown key']],
    ['a plain-text password', 'basic_auth_users:\n  alice: hunter2\n', [expect.stringMatching(/^basic_auth_users\.alice: must be a bcrypt hash/)]],
    ['a user name with a colon', `basic_auth_users:\n  "a:b": '${HASH}'\n`, [expect.stringMatching(/^basic_auth_users\.a:b: user names can not contain ":"/)]],
    ['a list instead of a mapping', '- a\n', ['(root): must be a YAML mapping']],
    ['broken YAML', 'tls_server_config: [\n', [expect.stringMatching(/^\(yaml\): /)]],
  ])('rejects %s, naming the key', (_name, text, expected) => {
    expect(problems(text)).toEqual(expected);
  });

  it('accepts the shipped example (config/web-config.example.yml)', () => {
    const file = join(__dirname, '..', '..', 'config', 'web-config.example.yml');
    const cfg = parseWebConfig(readFileSync(file, 'utf8'), file);
    expect(cfg.tls?.clientAuthType).toBe('RequireAndVerifyClientCert');
    expect(Object.keys(cfg.users)).toEqual(['prometheus']);
  });

  it('never echoes a bad hash (it is a secret)', () => {
    expect(problems('basic_auth_users:\n  alice: hunter2\n').join('\n')).not.toContain('hunter2');
  });
});

describe('loadWebConfigFile', () => {
  let pki: TestPki;
  let dir: string;
  beforeAll(() => {
    pki = makeTestPki();
  });
  afterAll(() => pki.remove());
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rtc-webcfg-'));
    for (const f of ['server.crt', 'server.key', 'ca.crt', 'client.key']) copyFileSync(join(pki.dir, f), join(dir, f));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (text: string): string => {
    const file = join(dir, 'web.yml');
    writeFileSync(file, text);
    return file;
  };
  const loadProblems = (file: string): string[] => {
    try {
      loadWebConfigFile(file);
    } catch (err) {
      if (err instanceof ConfigError) return err.problems;
      throw err;
    }
    throw new Error('expected a ConfigError');
  };

  it('loads the certificate, key and client CA named relative to the file', () => {
    const loaded = loadWebConfigFile(write('tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_ca_file: ca.crt\n  client_auth_type: RequireAndVerifyClientCert\n'));
    expect(loaded.tls?.cert.equals(pki.read(pki.serverCert))).toBe(true);
    expect(loaded.tls?.ca?.equals(pki.read(pki.caCert))).toBe(true);
    expect(loaded.fingerprint).toMatch(/^[0-9a-f]{64}$/);
  });

  it('changes its fingerprint when a certificate file changes, not only the web config', () => {
    const file = write('tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n');
    const before = loadWebConfigFile(file).fingerprint;
    expect(loadWebConfigFile(file).fingerprint).toBe(before);
    writeFileSync(join(dir, 'server.crt'), Buffer.concat([pki.read(pki.serverCert), Buffer.from('\n')]));
    expect(loadWebConfigFile(file).fingerprint).not.toBe(before);
  });

  it.each([
    ['a missing file', 'tls_server_config:\n  cert_file: nope.crt\n  key_file: server.key\n', [expect.stringMatching(/^tls_server_config\.cert_file: cannot read .*nope\.crt: ENOENT$/)]],
    ['a key that is not a key', 'tls_server_config:\n  cert_file: server.crt\n  key_file: ca.crt\n', ['tls_server_config.key_file: must hold a PEM private key (unencrypted)']],
    ['a certificate that is not one', 'tls_server_config:\n  cert_file: server.key\n  key_file: server.key\n', ['tls_server_config.cert_file: must hold a PEM certificate']],
    ['a key of another certificate', 'tls_server_config:\n  cert_file: server.crt\n  key_file: client.key\n', ['tls_server_config.key_file: does not match the certificate in tls_server_config.cert_file']],
    ['a client CA that is not a certificate', 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_ca_file: server.key\n  client_auth_type: RequireAndVerifyClientCert\n', ['tls_server_config.client_ca_file: must hold PEM CA certificate(s)']],
  ])('rejects %s, naming the key', (_name, text, expected) => {
    expect(loadProblems(write(text))).toEqual(expected);
  });

  it('names the web config file itself when it cannot be read', () => {
    expect(loadProblems(join(dir, 'missing.yml'))).toEqual(['(file): cannot read ' + join(dir, 'missing.yml') + ': ENOENT']);
  });
});
