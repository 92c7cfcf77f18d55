import { join } from 'node:path';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { loadConfigWithCa } from '../../src/config/ca-file';
import { ConfigError, loadConfigFile, parseConfig } from '../../src/config/load';
import { makeThrowawayCa } from '../support/throwaway-ca';

const fixture = (name: string): string => join(__dirname, '..', 'fixtures', 'config', name);

function problems(name: string): string[] {
  try {
    loadConfigFile(fixture(name));
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error(`${name} was accepted`);
}

describe('config validation', () => {
  it.each([
    ['qps-too-high.yaml', 'rateLimit.qps: must be < 40'],
    ['qps-zero.yaml', 'rateLimit.qps: must be > 0'],
    ['unknown-top-key.yaml', 'romos: unknown key'],
    ['unknown-nested-key.yaml', 'api.timeout: unknown key'],
    ['no-rooms.yaml', 'rooms: is required'],
    ['empty-rooms.yaml', 'rooms: must list at least one room'],
    ['duplicate-room.yaml', 'rooms[2]: duplicate of rooms[0]'],
    ['bad-schedule.yaml', 'schedule: must be a valid node-cron expression'],
    ['bad-endpoint.yaml', 'api.endpoint: must be an http(s) URL'],
    ['endpoint-with-path.yaml', 'api.endpoint: must be scheme, host and optional port only'],
    ['bad-port.yaml', 'server.port:'],
    ['bad-server-timeouts.yaml', 'server.headersTimeoutMs: must be <= server.requestTimeoutMs'],
    ['missing-room-id.yaml', 'rooms[0].roomId: is required'],
    ['bad-capacity.yaml', 'rooms[0].capacity:'],
    ['wrong-type.yaml', 'api.timeoutMs:'],
    ['bad-yaml.yaml', '(yaml):'],
    ['not-a-mapping.yaml', '(root): must be a YAML mapping'],
    ['webhook-no-url.yaml', 'events.webhook.url: is required'],
    ['state-file-is-events-file.yaml', 'state.file: must not be the same file as events.file'],
    ['state-save-interval.yaml', 'state.saveIntervalMs: no longer used: state is committed on every poll; remove this key'],
    ['state-bad-backend.yaml', 'state.backend:'],
    ['state-retention-zero.yaml', 'state.retention.maxEvents:'],
    ['state-retention-unknown.yaml', 'state.retention.maxAgeDays: unknown key'],
    ['does-not-exist.yaml', '(file): cannot read: ENOENT'],
  ])('%s → %s', (name, expected) => {
    const found = problems(name);
    expect(found.some((p) => p.startsWith(expected))).toBe(true);
  });

  it('reports every problem of a file, not just the first', () => {
    const found = problems('duplicate-room.yaml').concat(
      (() => {
        try {
          parseConfig('rateLimit: {qps: 45}\nschedule: nope\nrooms: []');
          return [];
        } catch (err) {
          return (err as ConfigError).problems;
        }
      })(),
    );
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^rateLimit\.qps:/),
        expect.stringMatching(/^schedule:/),
        expect.stringMatching(/^rooms:/),
      ]),
    );
  });

  it('fills every default except rooms', () => {
    const cfg = loadConfigFile(fixture('valid-minimal.yaml'));
    expect(cfg).toEqual({
      api: {
        endpoint: 'https://rtc.volcengineapi.com',
        region: 'cn-north-1',
        service: 'rtc',
        version: '2023-08-01',
        listRoomInfoVersion: '2020-12-01',
        timeoutMs: 5000,
        maxRetries: 2,
        retryBaseDelayMs: 250,
        retryMaxDelayMs: 5000,
      },
      rateLimit: { qps: 30, minQps: 1 },
      schedule: '*/15 * * * * *',
      server: { host: '0.0.0.0', port: 9479, maxConnections: 256, headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 65_000 },
      events: { log: true },
      state: { backend: 'sqlite', file: 'data/rtc-room-monitor.db', retention: { maxEvents: 1_000_000, maxAgeSeconds: 604_800 } },
      shutdown: { timeoutMs: 5000 },
      discovery: { filesRefreshSeconds: 60, retireAfterSeconds: 300 },
      polling: { strategy: 'round-robin' },
      rooms: [{ appId: 'app1', roomId: 'room1' }],
    });
  });

  it.each([
    ['polling: {strategy: fastest}\nrooms: [{appId: x, roomId: y}]', 'polling.strategy: '],
    ['polling: {maxIntervalSeconds: 0}\nrooms: [{appId: x, roomId: y}]', 'polling.maxIntervalSeconds: must be > 0'],
    ['polling: {maxIntervalSeconds: 10}\nrooms: [{appId: x, roomId: y}]', 'polling.maxIntervalSeconds: must be >= the schedule period (15 s'],
    ['schedule: "0 * * * * *"\npolling: {maxIntervalSeconds: 30}\nrooms: [{appId: x, roomId: y}]', 'polling.maxIntervalSeconds: must be >= the schedule period (60 s'],
    ['polling: {interval: 3}\nrooms: [{appId: x, roomId: y}]', 'polling.interval: unknown key'],
  ])('polling: %s → %s', (text, expected) => {
    const found = inline(text);
    expect(found.some((p) => p.startsWith(expected))).toBe(true);
  });

  it('accepts the adaptive strategy with a bound of at least the period', () => {
    const cfg = parseConfig('polling: {strategy: adaptive, maxIntervalSeconds: 15}\nrooms: [{appId: x, roomId: y}]');
    expect(cfg.polling).toEqual({ strategy: 'adaptive', maxIntervalSeconds: 15 });
  });

  const inline = (text: string): string[] => {
    try {
      parseConfig(text);
    } catch (err) {
      if (err instanceof ConfigError) return err.problems;
      throw err;
    }
    return [];
  };

  it.each([
    ['accounts: [{name: a, accessKeyEnv: A_AK, secretKeyEnv: A_SK}, {name: a, accessKeyEnv: B_AK, secretKeyEnv: B_SK}]\nrooms: [{appId: x, roomId: y}]', 'accounts[1].name: duplicate of accounts[0].name (a)'],
    ['accounts: [{name: "a b", accessKeyEnv: A_AK, secretKeyEnv: A_SK}]\nrooms: [{appId: x, roomId: y}]', 'accounts[0].name: must be 1-64 letters'],
    ['accounts: [{name: a, accessKeyEnv: "1bad", secretKeyEnv: A_SK}]\nrooms: [{appId: x, roomId: y}]', 'accounts[0].accessKeyEnv: must be an environment variable name'],
    ['accounts: [{name: a, accessKeyEnv: A_AK, secretKeyEnv: A_SK, rateLimit: {qps: 40}}]\nrooms: [{appId: x, roomId: y}]', 'accounts[0].rateLimit.qps: must be < 40'],
    ['accounts: [{name: a, accessKeyEnv: A_AK, secretKeyEnv: A_SK, api: {endpoint: nope}}]\nrooms: [{appId: x, roomId: y}]', 'accounts[0].api.endpoint: must be an http(s) URL'],
    ['accounts: [{name: a, accessKeyEnv: A_AK, secretKeyEnv: A_SK}]\nrooms: [{appId: x, roomId: y, account: b}]', 'rooms[0].account: no account named b in accounts'],
    ['rooms: [{appId: x, roomId: y, account: eu}]', 'rooms[0].account: no account named eu; without accounts the only one is "default"'],
    ['discovery: {listRoomInfo: {apps: [{appId: "1", account: eu}]}}', 'discovery.listRoomInfo.apps[0].account: no account named eu'],
    ['discovery: {listRoomInfo: {apps: []}}', 'discovery.listRoomInfo.apps: must list at least one app'],
    ['discovery: {listRoomInfo: {apps: ["1"], lookbackHours: 400}}', 'discovery.listRoomInfo.lookbackHours: must be <= 336'],
    ['discovery: {listRoomInfo: {apps: ["1"], qps: 10}}', 'discovery.listRoomInfo.qps: must be < 10'],
    ['discovery: {listRoomInfo: {apps: ["1"], pageSize: 10}}', 'discovery.listRoomInfo.pageSize: unknown key'],
    ['discovery: {http: [{url: "ftp://x"}]}', 'discovery.http[0].url: must be an http(s) URL'],
    ['discovery: {retireAfterSeconds: -1}', 'discovery.retireAfterSeconds:'],
    ['discovery: {}', 'rooms: is required (or configure a discovery source)'],
  ])('accounts and discovery: %s → %s', (text, expected) => {
    const found = inline(text);
    expect(found.some((p) => p.startsWith(expected))).toBe(true);
  });

  it.each([
    ['callbacks: {path: "callbacks"}', 'callbacks.path: must be a URL path starting with /'],
    ['callbacks: {path: /metrics}', 'callbacks.path: must not be / or a path the daemon already serves'],
    ['callbacks: {path: /api/x}', 'callbacks.path: must not be / or a path the daemon already serves'],
    ['callbacks: {secretEnv: "1x"}', 'callbacks.secretEnv: must be an environment variable name'],
    ['callbacks: {apps: [{appId: "1", account: eu}]}', 'callbacks.apps[0].account: no account named eu'],
    ['callbacks: {apps: [{appId: "1"}, {appId: 1}]}', 'callbacks.apps[1].appId: duplicate of callbacks.apps[0].appId (1)'],
    ['callbacks: {maxBodyBytes: 0}', 'callbacks.maxBodyBytes:'],
    ['callbacks: {confirmAfterMs: -1}', 'callbacks.confirmAfterMs:'],
    ['callbacks: {reconcileGraceMs: 700000}', 'callbacks.reconcileGraceMs:'],
    ['callbacks: {signature: x}', 'callbacks.signature: unknown key'],
  ])('callbacks: %s → %s', (text, expected) => {
    const found = inline(text);
    expect({ found, ok: found.some((p) => p.startsWith(expected)) }).toEqual({ found, ok: true });
  });

  it('callbacks: defaults, and rooms may be left out (callbacks find rooms)', () => {
    expect(parseConfig('callbacks: {}').callbacks).toEqual({ path: '/callbacks/rtc', secretEnv: 'RTC_CALLBACK_SECRET', maxBodyBytes: 65_536, confirmAfterMs: 1000, reconcileGraceMs: 5000 });
    expect(parseConfig('callbacks: {}').rooms).toEqual([]);
  });

  it('lets rooms be empty or absent when a discovery source is configured', () => {
    expect(parseConfig('discovery: {listRoomInfo: {apps: ["12345"]}}').rooms).toEqual([]);
    expect(parseConfig('discovery: {files: "rooms/*.yaml"}\nrooms: []').discovery.files).toEqual(['rooms/*.yaml']);
    const cfg = parseConfig('accounts: [{name: eu, accessKeyEnv: EU_AK, secretKeyEnv: EU_SK}]\ndiscovery: {listRoomInfo: {apps: ["1", {appId: 2, account: eu}]}}');
    expect(cfg.discovery.listRoomInfo).toEqual({
      apps: [{ appId: '1', account: undefined }, { appId: '2', account: 'eu' }],
      intervalSeconds: 15,
      lookbackHours: 24,
      overlapSeconds: 60,
      qps: 5,
    });
    expect(cfg.accounts?.[0]?.api.endpoint).toBe('https://rtc.volcengineapi.com');
    expect(cfg.accounts?.[0]?.rateLimit.qps).toBe(30);
  });

  it('accepts a memory-only store, and events.file equal to state.file when the store is memory-only', () => {
    const cfg = parseConfig('state: {backend: memory, file: x.ndjson}\nevents: {file: x.ndjson}\nrooms: [{appId: a, roomId: r}]');
    expect(cfg.state.backend).toBe('memory');
  });

  it('accepts unquoted numeric ids as strings', () => {
    const cfg = parseConfig('rooms: [{appId: 123456, roomId: 42}]');
    expect(cfg.rooms[0]).toEqual({ appId: '123456', roomId: '42' });
  });

  it.each([
    ['007', '7'],
    ['0123', '123'],
    ['0x1F', '31'],
    ['0o17', '15'],
    ['1e3', '1000'],
    ['1.0', '1'],
    ['-5', '-5'],
    ['.inf', 'Infinity'],
  ])('rejects the unquoted number %s as a room id (YAML reads it as %s), naming the key and asking for quotes', (text, read) => {
    let problems: string[] = [];
    try {
      parseConfig(`rooms:\n  - appId: app1\n    roomId: ${text}\n`);
    } catch (err) {
      problems = (err as ConfigError).problems;
    }
    expect(problems).toEqual([`rooms[0].roomId: the unquoted number ${text} would be read as ${read}; quote it ("${text}")`]);
  });

  it('keeps plain decimal ids exactly as written, even beyond 2^53, and quoted ids untouched', () => {
    const cfg = parseConfig('rooms:\n  - {appId: 0, roomId: 12345678901234567890}\n  - {appId: "007", roomId: "0x1F"}\n');
    expect(cfg.rooms).toEqual([
      { appId: '0', roomId: '12345678901234567890' },
      { appId: '007', roomId: '0x1F' },
    ]);
  });

  it.each([
    ['NUL', 'a\\0b'],
    ['newline', 'a\\nb'],
    ['tab', 'a\\tb'],
  ])('rejects a room id containing %s', (_name, escaped) => {
    let problems: string[] = [];
    try {
      parseConfig(`rooms:\n  - appId: app1\n    roomId: "${escaped}"\n`);
    } catch (err) {
      problems = (err as ConfigError).problems;
    }
    expect(problems).toEqual(['rooms[0].roomId: must not contain control characters (NUL, tab, newline, ...)']);
  });

  it('reads api.caFile relative to the config file, and names the key when it is missing or not a certificate', () => {
    const ca = makeThrowawayCa();
    const dir = mkdtempSync(join(tmpdir(), 'rtc-cfg-'));
    try {
      const cfgFile = join(dir, 'monitor.yaml');
      writeFileSync(join(dir, 'ca.pem'), ca.caPem);
      writeFileSync(join(dir, 'junk.pem'), 'not a certificate');
      writeFileSync(cfgFile, 'api: {caFile: ca.pem}\nrooms: [{appId: a, roomId: r}]\n');
      expect(loadConfigWithCa(cfgFile).ca).toBe(ca.caPem);
      for (const [file, message] of [['junk.pem', /^api\.caFile: .*junk\.pem holds no PEM certificate$/], ['gone.pem', /^api\.caFile: cannot read .*gone\.pem: ENOENT$/]] as const) {
        writeFileSync(cfgFile, `api: {caFile: ${file}}\nrooms: [{appId: a, roomId: r}]\n`);
        let problems: string[] = [];
        try {
          loadConfigWithCa(cfgFile);
        } catch (err) {
          problems = (err as ConfigError).problems;
        }
        expect(problems).toEqual([expect.stringMatching(message)]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      ca.remove();
    }
  });

  it('accepts the shipped example and demo configs', () => {
    expect(() => loadConfigFile(join(__dirname, '..', '..', 'config', 'monitor.example.yaml'))).not.toThrow();
    expect(() => loadConfigFile(join(__dirname, '..', '..', 'config', 'demo.yaml'))).not.toThrow();
  });
});
