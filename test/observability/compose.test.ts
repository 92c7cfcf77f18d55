import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { parseConfig } from '../../src/config/load';
import { DEMO_CREDENTIALS, demoRooms } from '../../src/simulator';
import { describeWithRequirements, executable } from '../support/required-tools';
import { REPO_ROOT, repoPath } from '../support/repo-paths';

// The compose stack cannot be started here (no Docker engine), so this proves what can be proven
// without one: the file is valid for docker-compose, and every config file it mounts is one the rest of
// the suite validates.

interface Service {
  image?: string;
  build?: unknown;
  entrypoint?: string[];
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  profiles?: string[];
}
interface ComposeFile {
  services: Record<string, Service>;
}

// merge: docker-compose.yml shares the app service settings through a YAML merge key (<<: *app).
const readYaml = <T>(...parts: string[]): T => parse(readFileSync(repoPath(...parts), 'utf8'), { merge: true }) as T;
const compose = readYaml<ComposeFile>('docker-compose.yml');
const real = readYaml<ComposeFile>('docker-compose.real.yml');
const service = (name: string, file: ComposeFile = compose): Service => {
  const s = file.services[name];
  if (!s) throw new Error(`no service ${name}`);
  return s;
};
/** host path of the bind mount at `target`, or undefined. */
const mountAt = (s: Service, target: string): string | undefined =>
  (s.volumes ?? [])
    .map((v) => /^(.+):(\/[^:]*?)(?::(?:ro|rw))?$/.exec(v))
    .find((m) => m?.[2] === target)?.[1];

describe('docker-compose.yml', () => {
  it('runs the monitor, Prometheus, Alertmanager, Grafana and the simulator', () => {
    const byDefault = Object.entries(compose.services).filter(([, s]) => s.profiles === undefined);
    expect(byDefault.map(([name]) => name).sort()).toEqual(['alertmanager', 'grafana', 'monitor', 'prometheus', 'simulator']);
  });

  describe('HA profile (cluster mode)', () => {
    const file = repoPath('config', 'compose', 'monitor-ha.yaml');
    const cfg = parseConfig(readFileSync(file, 'utf8'), file);

    it('adds Redis and two monitor replicas, only under the ha profile', () => {
      const ha = Object.entries(compose.services).filter(([, s]) => s.profiles?.includes('ha'));
      expect(ha.map(([name]) => name).sort()).toEqual(['monitor-ha-1', 'monitor-ha-2', 'redis']);
    });

    it('gives both replicas the same cluster config, pointing at the redis service and the simulator', () => {
      for (const name of ['monitor-ha-1', 'monitor-ha-2']) {
        expect(mountAt(service(name), '/etc/rtc-room-monitor/monitor.yaml')).toBe('./config/compose/monitor-ha.yaml');
      }
      expect(new URL(cfg.cluster!.redis.url).hostname).toBe('redis');
      expect(cfg.api.endpoint).toBe('http://simulator:8080');
      expect(cfg.rooms.map((r) => r.roomId).sort()).toEqual(demoRooms().map((r) => r.roomId).sort());
    });
  });

  it('pins every image to a version', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      if (s.build !== undefined) continue; // built from this repo
      expect({ name, image: s.image }).toEqual({ name, image: expect.stringMatching(/^[\w./-]+:v?\d+\.\d+\.\d+$/) });
    }
  });

  it('gives Prometheus, Alertmanager and Grafana the config files the tests validate', () => {
    expect(mountAt(service('prometheus'), '/etc/prometheus')).toBe('./config/prometheus');
    expect(service('prometheus').command).toContain('--config.file=/etc/prometheus/prometheus.yml');
    expect(mountAt(service('alertmanager'), '/etc/alertmanager')).toBe('./config/alertmanager');
    expect(service('alertmanager').command).toContain('--config.file=/etc/alertmanager/alertmanager.yml');
    expect(mountAt(service('grafana'), '/etc/grafana/provisioning')).toBe('./grafana/provisioning');
    const home = service('grafana').environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH ?? '';
    expect(home.startsWith('/etc/grafana/dashboards/')).toBe(true);
    expect(() => readFileSync(repoPath('grafana', 'dashboards', home.slice('/etc/grafana/dashboards/'.length)))).not.toThrow();
  });

  it('wires the services to each other by the names the config files use', () => {
    const prom = readYaml<{ scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[]; alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] } }>('config', 'prometheus', 'prometheus.yml');
    const job = prom.scrape_configs.find((j) => j.job_name === 'rtc-room-monitor');
    expect(job?.static_configs[0]?.targets).toEqual(['monitor:9479']);
    expect(prom.alerting.alertmanagers[0]?.static_configs[0]?.targets).toEqual(['alertmanager:9093']);
    const ds = readYaml<{ datasources: { type: string; url: string }[] }>('grafana', 'provisioning', 'datasources', 'datasources.yml');
    expect(ds.datasources.find((d) => d.type === 'prometheus')?.url).toBe('http://prometheus:9090');
    expect(ds.datasources.find((d) => d.type === 'alertmanager')?.url).toBe('http://alertmanager:9093');
  });

  describe('simulator mode (the default)', () => {
    const file = repoPath('config', 'compose', 'monitor-simulator.yaml');
    const cfg = parseConfig(readFileSync(file, 'utf8'), file);

    it('mounts monitor-simulator.yaml where the image looks for its config', () => {
      expect(mountAt(service('monitor'), '/etc/rtc-room-monitor/monitor.yaml')).toBe('./config/compose/monitor-simulator.yaml');
      const dockerfile = readFileSync(repoPath('Dockerfile'), 'utf8');
      expect(dockerfile).toMatch(/^CMD \["--config", "\/etc\/rtc-room-monitor\/monitor\.yaml"\]$/m);
    });

    it("points the monitor at the simulator service with the simulator's demo credentials", () => {
      const sim = service('simulator');
      expect(sim.entrypoint).toEqual(['node', 'dist/src/simulator/cli.js']);
      expect(sim.command).toEqual(['--host', '0.0.0.0', '--port', '8080']);
      expect(cfg.api.endpoint).toBe('http://simulator:8080');
      expect(service('monitor').environment).toMatchObject({
        VOLC_ACCESSKEY: DEMO_CREDENTIALS.accessKeyId,
        VOLC_SECRETKEY: DEMO_CREDENTIALS.secretAccessKey,
      });
    });

    it("monitors exactly the simulator's demo rooms, with capacities for lobby and stage", () => {
      const key = (r: { appId: string; roomId: string }): string => `${r.appId}/${r.roomId}`;
      expect(cfg.rooms.map(key).sort()).toEqual(demoRooms().map(key).sort());
      expect(cfg.rooms.find((r) => r.roomId === 'lobby')?.capacity).toBe(30);
      expect(cfg.rooms.find((r) => r.roomId === 'stage')?.capacity).toBe(60);
      expect(demoRooms().find((r) => r.roomId === 'ghost')?.exists).toBe(false);
    });
  });

  describe('real-credentials override (docker-compose.real.yml)', () => {
    it('takes the simulator out of the default profile and the credentials from .env', () => {
      expect(service('simulator', real).profiles).toEqual(['simulator']);
      expect(service('monitor', real).environment?.VOLC_ACCESSKEY).toMatch(/^\$\{VOLC_ACCESSKEY:\?/);
      expect(service('monitor', real).environment?.VOLC_SECRETKEY).toMatch(/^\$\{VOLC_SECRETKEY:\?/);
    });

    it('ships a template config that the daemon accepts', () => {
      const template = repoPath('config', 'compose', 'monitor.yaml');
      expect(() => parseConfig(readFileSync(template, 'utf8'), template)).not.toThrow();
      expect(mountAt(service('monitor', real), '/etc/rtc-room-monitor/monitor.yaml')).toBe('${RTC_MONITOR_CONFIG:-./config/compose/monitor.yaml}');
    });
  });
});

describeWithRequirements('docker-compose config', [executable('docker-compose')], () => {
  let dir: string;
  let emptyEnvFile: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'rtc-compose-'));
    // Isolate interpolation from a developer's own .env (and any VOLC_* in the shell).
    emptyEnvFile = join(dir, 'empty.env');
    writeFileSync(emptyEnvFile, '');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = (files: string[], extraEnv: Record<string, string>, ...args: string[]) => {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...extraEnv };
    return spawnSync('docker-compose', ['--env-file', emptyEnvFile, ...files.flatMap((f) => ['-f', f]), 'config', ...args], {
      cwd: REPO_ROOT,
      env,
      encoding: 'utf8',
      timeout: 20_000,
    });
  };

  it('accepts docker-compose.yml (config -q)', () => {
    const r = run(['docker-compose.yml'], {}, '-q');
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
  });

  it('accepts docker-compose.yml with the ha profile (config -q)', () => {
    const r = run(['docker-compose.yml'], { COMPOSE_PROFILES: 'ha' }, '-q');
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    const all = run(['docker-compose.yml'], { COMPOSE_PROFILES: 'ha' }, '--services');
    expect(all.stdout.split('\n').filter(Boolean).sort()).toEqual(['alertmanager', 'grafana', 'monitor', 'monitor-ha-1', 'monitor-ha-2', 'prometheus', 'redis', 'simulator']);
  });

  it('accepts the real-credentials override when the credentials are set', () => {
    const creds = { VOLC_ACCESSKEY: 'AKLTexample', VOLC_SECRETKEY: 'ZXhhbXBsZQ==' };
    const r = run(['docker-compose.yml', 'docker-compose.real.yml'], creds);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    const resolved = parse(r.stdout) as ComposeFile;
    expect(service('monitor', resolved).environment).toMatchObject(creds);
    expect(mountAt(service('monitor', resolved), '/etc/rtc-room-monitor/monitor.yaml')).toBe(repoPath('config', 'compose', 'monitor.yaml'));
  });

  it('refuses the real-credentials override without credentials, naming the variable', () => {
    const r = run(['docker-compose.yml', 'docker-compose.real.yml'], {}, '-q');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('set VOLC_ACCESSKEY in .env');
  });
});
