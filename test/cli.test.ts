import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { DAEMON_CLI } from './support/repo-paths';

const fixture = (name: string): string => join(__dirname, 'fixtures', 'config', name);
const webFixture = (name: string): string => join(__dirname, 'fixtures', 'web', name);
const cli = (...args: string[]) => spawnSync(process.execPath, [DAEMON_CLI, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });

describe('rtc-room-monitor CLI (built)', () => {
  const withKeys = { PATH: process.env.PATH ?? '', VOLC_ACCESSKEY: 'AK', VOLC_SECRETKEY: 'SK' };

  it('check-config exits 0 on a valid file', () => {
    const res = spawnSync(process.execPath, [DAEMON_CLI, 'check-config', '--config', fixture('valid-minimal.yaml')], { encoding: 'utf8', env: withKeys });
    expect(res.status).toBe(0);
    expect(res.stdout).toContain('OK (1 room(s), qps 30');
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
  });
});
