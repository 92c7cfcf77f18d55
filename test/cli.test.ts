import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../src/store/sqlite-store';
import { DAEMON_CLI } from './support/repo-paths';

const fixture = (name: string): string => join(__dirname, 'fixtures', 'config', name);
const webFixture = (name: string): string => join(__dirname, 'fixtures', 'web', name);
const cli = (...args: string[]) => spawnSync(process.execPath, [DAEMON_CLI, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });

describe('rtc-room-monitor CLI (built)', () => {
  it('events prints committed events after an id as NDJSON from the state database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rtc-cli-events-'));
    try {
      const { store } = SqliteStore.open(join(dir, 'data', 'state.db'), { maxEvents: 100, maxAgeSeconds: 3600 });
      const events = ['a', 'b', 'c'].map((userId) => ({ time: '2026-01-01T00:00:00.000Z', type: 'join' as const, appId: 'app', roomId: 'r', userId, visibility: 'visible' as const, source: 'poll' as const }));
      await store.commitPoll({ appId: 'app', roomId: 'r', exists: true, totalUsers: 3, totalInvisibleUsers: 0, lastSuccessMs: 0, changes: [], events }, 1);
      await store.close();
      writeFileSync(join(dir, 'monitor.yaml'), `state: {file: ${join(dir, 'data', 'state.db')}}\nrooms: [{appId: app, roomId: r}]\n`);
      const res = cli('events', '--after', '1', '--config', join(dir, 'monitor.yaml'));
      expect(res.status).toBe(0);
      expect(res.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: number; userId: string })).toEqual([
        { id: 2, ...events[1] },
        { id: 3, ...events[2] },
      ]);
      const bad = cli('events', '--after', 'x', '--config', join(dir, 'monitor.yaml'));
      expect(bad.status).toBe(1);
      expect(bad.stderr).toContain('--after: must be a non-negative integer');
      writeFileSync(join(dir, 'memory.yaml'), 'state: {backend: memory}\nrooms: [{appId: app, roomId: r}]\n');
      const mem = cli('events', '--config', join(dir, 'memory.yaml'));
      expect(mem.status).toBe(1);
      expect(mem.stderr).toContain('state.backend is memory');
      writeFileSync(join(dir, 'redis.yaml'), 'state: {backend: redis}\ncluster: {redis: {url: "redis://127.0.0.1:1", keyPrefix: "p:"}}\nrooms: [{appId: app, roomId: r}]\n');
      const shared = cli('events', '--config', join(dir, 'redis.yaml'));
      expect(shared.status).toBe(1);
      expect(shared.stderr).toContain('state.backend is redis: read the stream p:events');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('check-config reports a state.file that points at some other file, and leaves it alone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rtc-cli-state-'));
    try {
      const config = `state: {file: ${join(dir, 'monitor.yaml')}}\nrooms: [{appId: app, roomId: r}]\n`;
      writeFileSync(join(dir, 'monitor.yaml'), config);
      const res = cli('check-config', '--skip-credentials', '--config', join(dir, 'monitor.yaml'));
      expect(res.status).toBe(1);
      expect(res.stderr).toMatch(/state\.file: .*monitor\.yaml exists and is not an rtc-room-monitor store/);
      expect(readFileSync(join(dir, 'monitor.yaml'), 'utf8')).toBe(config);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const withKeys = { PATH: process.env.PATH ?? '', VOLC_ACCESSKEY: 'AK', VOLC_SECRETKEY: 'SK' };

  it('check-config exits 0 on a valid file', () => {
    const res = spawnSync(process.execPath, [DAEMON_CLI, 'check-config', '--config', fixture('valid-minimal.yaml')], { encoding: 'utf8', env: withKeys });
    expect(res.status).toBe(0);
    expect(res.stdout).toContain('OK (1 room(s), qps 30');
  });

  it('check-config summarizes accounts and discovery of a discovery-only config', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rtc-cli-summary-'));
    try {
      writeFileSync(
        join(dir, 'monitor.yaml'),
        'accounts: [{name: cn, accessKeyEnv: VOLC_ACCESSKEY, secretKeyEnv: VOLC_SECRETKEY, rateLimit: {qps: 25}}]\nstate: {backend: memory}\ndiscovery: {listRoomInfo: {apps: ["1", "2"]}}\n',
      );
      const res = spawnSync(process.execPath, [DAEMON_CLI, 'check-config', '--config', join(dir, 'monitor.yaml')], { encoding: 'utf8', env: withKeys });
      expect(res.status).toBe(0);
      expect(res.stdout).toContain('OK (0 room(s), accounts cn (qps 25), schedule "*/15 * * * * *", discovery: listRoomInfo 2 app(s))');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('check-config exits non-zero with every problem on stderr, each naming its key', () => {
    const res = cli('check-config', '--config', fixture('duplicate-room.yaml'));
    expect(res.status).toBe(1);
    expect(res.stderr).toContain('rooms[2]: duplicate of rooms[0]');
    const multi = cli('check-config', '--config', fixture('unknown-nested-key.yaml'));
    expect(multi.status).toBe(1);
    expect(multi.stderr).toContain('api.timeout: unknown key');
  });

  it('check-config fails as run would when the key pair is missing, naming the variable, and never prints a secret', () => {
    const res = cli('check-config', '--config', fixture('valid-minimal.yaml'));
    expect(res.status).toBe(1);
    expect(res.stderr).toContain('VOLC_ACCESSKEY, VOLC_SECRETKEY: not set');
    const half = spawnSync(process.execPath, [DAEMON_CLI, 'check-config', '--config', fixture('valid-minimal.yaml')], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', VOLC_SECRETKEY: 'very-secret-value' },
    });
    expect(half.status).toBe(1);
    expect(half.stderr).toContain('VOLC_ACCESSKEY: not set');
    expect(half.stderr).not.toContain('very-secret-value');
  });

  it('check-config --skip-credentials lints the file alone (for CI), and run refuses the flag', () => {
    const res = cli('check-config', '--skip-credentials', '--config', fixture('valid-minimal.yaml'));
    expect(res.status).toBe(0);
    expect(res.stdout).toContain('OK (1 room(s)');
    expect(cli('run', '--skip-credentials', '--config', fixture('valid-minimal.yaml')).status).toBe(2);
  });

  it('check-config checks LOG_LEVEL and api.caFile, as run does', () => {
    const level = spawnSync(process.execPath, [DAEMON_CLI, 'check-config', '--config', fixture('valid-minimal.yaml')], { encoding: 'utf8', env: { ...withKeys, LOG_LEVEL: 'verbose' } });
    expect(level.status).toBe(1);
    expect(level.stderr).toContain('LOG_LEVEL: must be one of');
    const ca = spawnSync(process.execPath, [DAEMON_CLI, 'check-config', '--config', fixture('ca-file-missing.yaml')], { encoding: 'utf8', env: withKeys });
    expect(ca.status).toBe(1);
    expect(ca.stderr).toMatch(/api\.caFile: cannot read .*no-such-ca\.pem: ENOENT/);
  });

  it('run exits 2 with the config problem when the config is invalid', () => {
    const res = cli('--config', fixture('qps-too-high.yaml'));
    expect(res.status).toBe(2);
    expect(res.stderr).toContain('rateLimit.qps: must be < 40');
  });

  it('run exits 2 naming LOG_LEVEL when it is not a pino level', () => {
    const res = spawnSync(process.execPath, [DAEMON_CLI, '--config', fixture('valid-minimal.yaml')], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'verbose', VOLC_ACCESSKEY: 'AK', VOLC_SECRETKEY: 'SK' },
    });
    expect(res.status).toBe(2);
    expect(res.stderr).toContain('LOG_LEVEL: must be one of');
  });

  it('check-config also validates --web.config.file, in either flag form', () => {
    const ok = cli('check-config', '--skip-credentials', '--config', fixture('valid-minimal.yaml'), '--web.config.file', webFixture('basic-auth.yml'));
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('basic-auth.yml: OK (no TLS, 1 basic auth user(s))');
    const bad = cli('check-config', '--skip-credentials', '--config', fixture('valid-minimal.yaml'), `--web.config.file=${webFixture('bad.yml')}`);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('tls_server_config.client_ca_file: is required when client_auth_type is RequireAndVerifyClientCert');
    expect(bad.stderr).toContain('basic_auth_users.prometheus: must be a bcrypt hash');
    expect(bad.stderr).not.toContain('plain-text-password');
  });

  it('run exits 2 naming the key when the web config is invalid', () => {
    const res = spawnSync(process.execPath, [DAEMON_CLI, '--config', fixture('valid-minimal.yaml'), `--web.config.file=${webFixture('bad.yml')}`], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', VOLC_ACCESSKEY: 'AK', VOLC_SECRETKEY: 'SK' },
    });
    expect(res.status).toBe(2);
    expect(res.stderr).toContain('tls_server_config.client_ca_file: is required');
  });

  it('rejects unknown flags with usage, and prints help and version', () => {
    const bad = cli('--bogus');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('Usage:');
    expect(cli('--help').stdout).toContain('check-config');
    expect(cli('--version').stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(cli('--help').stdout).toMatch(/rtc-room-monitor demo .*\n[\s\S]*rtc-room-monitor init \[DIR\]/);
  });

  it('init writes monitor.yaml into DIR (plus the observability pack when asked), never over an existing file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rtc-cli-init-'));
    try {
      const res = cli('init', join(dir, 'a'));
      expect(res.status).toBe(0);
      expect(readdirSync(join(dir, 'a'))).toEqual(['monitor.yaml']);
      expect(cli('check-config', '--skip-credentials', '--config', join(dir, 'a', 'monitor.yaml')).status).toBe(0);

      const pack = cli('init', join(dir, 'b'), '--observability');
      expect(pack.status).toBe(0);
      expect(readdirSync(join(dir, 'b')).sort()).toEqual(['grafana', 'monitor.yaml', 'prometheus']);
      expect(pack.stdout).toContain(`wrote ${join(dir, 'b', 'prometheus', 'rules', 'alerts.yml')}`);

      // Only the dashboards are in the way: nothing else is written either.
      rmSync(join(dir, 'b', 'monitor.yaml'));
      rmSync(join(dir, 'b', 'prometheus'), { recursive: true });
      const refused = cli('init', join(dir, 'b'), '--observability');
      expect(refused.status).toBe(1);
      expect(refused.stderr).toContain(`will not overwrite ${join(dir, 'b', 'grafana', 'dashboards', 'rtc-monitor-health.json')}`);
      expect(readdirSync(join(dir, 'b'))).toEqual(['grafana']);

      expect(cli('init', 'x', 'y').status).toBe(2);
      expect(cli('init', '--bogus').status).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('points at init when the default config is not there (a fresh install has no config/ directory)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rtc-cli-noconfig-'));
    try {
      const run = spawnSync(process.execPath, [DAEMON_CLI], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
      expect(run.status).toBe(2);
      expect(run.stderr).toContain('no config at config/monitor.yaml');
      expect(run.stderr).toContain('rtc-room-monitor init');
      const check = spawnSync(process.execPath, [DAEMON_CLI, 'check-config', '--skip-credentials'], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
      expect(check.status).toBe(1);
      expect(check.stderr).toContain('rtc-room-monitor init');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('demo rejects a bad port before starting anything', () => {
    const res = cli('demo', '--port', '99999');
    expect(res.status).toBe(2);
    expect(res.stderr).toContain('--port: not a port number: 99999');
    expect(cli('demo', '--simulator-port', 'x').stderr).toContain('--simulator-port: not a port number: x');
    expect(cli('demo', '--help').stdout).toContain("package's config/demo.yaml");
  });
});
