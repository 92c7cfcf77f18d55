import { ConfigError, parseConfig } from '../../src/config/load';

const ROOMS = 'rooms: [{appId: a, roomId: r}]\n';

function problems(yaml: string): string[] {
  try {
    parseConfig(ROOMS + yaml);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('accepted');
}

describe('cluster config', () => {
  it('is absent by default: one process, nothing changes', () => {
    expect(parseConfig(ROOMS).cluster).toBeUndefined();
  });

  it('fills the defaults', () => {
    expect(parseConfig(`${ROOMS}cluster: {redis: {url: "redis://127.0.0.1:6379/0"}}`).cluster).toEqual({
      redis: { url: 'redis://127.0.0.1:6379/0', keyPrefix: 'rtc-room-monitor:', connectTimeoutMs: 5000, commandTimeoutMs: 1000 },
      failoverSeconds: 10,
    });
  });

  it.each([
    ['cluster: {}', 'cluster.redis: is required'],
    ['cluster: {redis: {}}', 'cluster.redis.url: is required'],
    ['cluster: {redis: {url: "http://h:6379"}}', 'cluster.redis.url: must be a redis:// or rediss:// URL'],
    ['cluster: {redis: {url: "redis://h", keyPrefix: ""}}', 'cluster.redis.keyPrefix: must be a non-empty string'],
    ['cluster: {redis: {url: "redis://h", db: 2}}', 'cluster.redis.db: unknown key'],
    ['cluster: {redis: {url: "redis://h"}, failoverSeconds: 0.5}', 'cluster.failoverSeconds: must be >= 1'],
    ['cluster: {redis: {url: "redis://h"}, leader: true}', 'cluster.leader: unknown key'],
    ['cluster: {redis: {url: "redis://h", commandTimeoutMs: 1000}, failoverSeconds: 2}', 'cluster.redis.commandTimeoutMs: must be < 466'],
    ['state: {backend: redis}', 'state.backend: redis needs cluster mode'],
  ])('%s → %s', (yaml, expected) => {
    const found = problems(yaml);
    expect(found.some((p) => p.startsWith(expected))).toBe(true);
  });

  it('accepts the shared Redis state in cluster mode', () => {
    expect(parseConfig(`${ROOMS}state: {backend: redis}\ncluster: {redis: {url: "redis://h"}}`).state.backend).toBe('redis');
  });

  it('defect 11: with cluster and no state.backend the replicas share the Redis store; a per-replica store only when asked for', () => {
    expect(parseConfig(`${ROOMS}cluster: {redis: {url: "redis://h"}}`).state.backend).toBe('redis');
    expect(parseConfig(`${ROOMS}state: {file: x.db}\ncluster: {redis: {url: "redis://h"}}`).state.backend).toBe('redis');
    expect(parseConfig(`${ROOMS}state: {backend: sqlite}\ncluster: {redis: {url: "redis://h"}}`).state.backend).toBe('sqlite');
    expect(parseConfig(`${ROOMS}state: {backend: memory}\ncluster: {redis: {url: "redis://h"}}`).state.backend).toBe('memory');
    expect(parseConfig(ROOMS).state.backend).toBe('sqlite');
  });

  it('never echoes a password from the URL in an error', () => {
    const found = problems('cluster: {redis: {url: "ftp://user:hunter2@h:6379"}}').join('\n');
    expect(found).toContain('cluster.redis.url');
    expect(found).not.toContain('hunter2');
  });
});
