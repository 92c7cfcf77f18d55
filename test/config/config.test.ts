import { join } from 'node:path';
import { ConfigError, loadConfigFile, parseConfig } from '../../src/config/load';

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
    ['bad-port.yaml', 'server.port:'],
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
        timeoutMs: 5000,
        maxRetries: 2,
        retryBaseDelayMs: 250,
        retryMaxDelayMs: 5000,
      },
      rateLimit: { qps: 30, minQps: 1 },
      schedule: '*/15 * * * * *',
      server: { host: '0.0.0.0', port: 9479 },
      events: { log: true },
      state: { backend: 'sqlite', file: 'data/rtc-room-monitor.db', retention: { maxEvents: 1_000_000, maxAgeSeconds: 604_800 } },
      shutdown: { timeoutMs: 5000 },
      rooms: [{ appId: 'app1', roomId: 'room1' }],
    });
  });

  it('accepts a memory-only store, and events.file equal to state.file when the store is memory-only', () => {
    const cfg = parseConfig('state: {backend: memory, file: x.ndjson}\nevents: {file: x.ndjson}\nrooms: [{appId: a, roomId: r}]');
    expect(cfg.state.backend).toBe('memory');
  });

  it('accepts unquoted numeric ids as strings', () => {
    const cfg = parseConfig('rooms: [{appId: 123456, roomId: 42}]');
    expect(cfg.rooms[0]).toEqual({ appId: '123456', roomId: '42' });
  });

  it('accepts the shipped example and demo configs', () => {
    expect(() => loadConfigFile(join(__dirname, '..', '..', 'config', 'monitor.example.yaml'))).not.toThrow();
    expect(() => loadConfigFile(join(__dirname, '..', '..', 'config', 'demo.yaml'))).not.toThrow();
  });
});
