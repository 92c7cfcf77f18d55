import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { DEMO_CREDENTIALS, Simulator, demoCalls, demoRooms } from '../../src/simulator';
import { RunningDaemon, startDaemon } from '../support/daemon-process';
import { describeWithRequirements, executable, fileRequirement } from '../support/required-tools';
import { DAEMON_CLI, repoPath } from '../support/repo-paths';
import { waitFor } from '../support/wait-for';
import { loadDashboards, queriesOf } from './helpers/dashboard-queries';
import { monitorTestConfig } from './helpers/monitor-test-config';
import { metricNamesIn } from './helpers/promql-names';
import { allRules } from './helpers/rule-files';

// The daemon's real /metrics (built daemon, simulator demo world, after its first full cycle):
// `promtool check metrics` must find nothing, and every metric the dashboards and rules read must be
// there, so a renamed metric breaks this test rather than a panel in production.

describeWithRequirements(
  'daemon /metrics',
  [executable('promtool'), fileRequirement('dist/src/cli.js', existsSync(DAEMON_CLI), 'run npm run build')],
  () => {
    let sim: Simulator | undefined;
    let daemon: RunningDaemon | undefined;
    let exposition = '';

    beforeAll(async () => {
      // The demo world with the long calls of lobby and stage only (no classes coming and going): discovery
      // has data, and the rooms are exactly the configured ones.
      sim = new Simulator({ credentials: { ...DEMO_CREDENTIALS }, rooms: demoRooms(), calls: demoCalls(Date.now(), 0) });
      const endpoint = await sim.start();
      const config = monitorTestConfig(repoPath('config', 'compose', 'monitor-simulator.yaml'), { endpoint });
      // Callbacks on, so their families are linted and read like the rest.
      daemon = await startDaemon({ config: { ...config, events: { log: false }, callbacks: {} }, credentials: DEMO_CREDENTIALS, env: { RTC_CALLBACK_SECRET: 'lint-callback-secret' } });
      // Ready means the first poll cycle is done; the first discovery pass runs beside it and may end later.
      exposition = await waitFor('a completed discovery pass in /metrics', async () => {
        const res = await fetch(`${daemon!.url}/metrics`);
        expect(res.status).toBe(200);
        const text = await res.text();
        return text.includes('rtc_discovery_last_success_timestamp_seconds{') ? text : undefined;
      });
    }, 30_000);

    afterAll(async () => {
      await daemon?.stop();
      await sim?.stop();
    });

    it('passes promtool check metrics with no findings', () => {
      const r = spawnSync('promtool', ['check', 'metrics'], { input: exposition, encoding: 'utf8', timeout: 20_000 });
      expect({ status: r.status, findings: (r.stdout + r.stderr).trim() }).toEqual({ status: 0, findings: '' });
    });

    it('exports every metric the dashboards and rules read', () => {
      const exported = new Set(
        exposition
          .split('\n')
          .filter((l) => l !== '' && !l.startsWith('#'))
          .map((l) => /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(l)?.[0] ?? ''),
      );
      const rules = allRules(repoPath('config', 'prometheus', 'rules'));
      const recorded = new Set(rules.flatMap((r) => (r.record ? [r.record] : [])));
      const readers = [
        ...rules.map((r) => ({ where: `rule ${r.alert ?? r.record}`, expr: r.expr })),
        ...loadDashboards(repoPath('grafana', 'dashboards')).flatMap((d) => queriesOf(d)),
      ];
      const missing = readers.flatMap(({ where, expr }) =>
        metricNamesIn(expr)
          // `up` comes from Prometheus itself; rtc:* from our recording rules; rtc_cluster_* only in cluster
          // mode (test/sinks/cluster-metrics.test.ts and test/integration/cluster.test.ts read them).
          .filter((name) => name !== 'up' && !recorded.has(name) && !name.startsWith('rtc_cluster_'))
          .filter((name) => !exported.has(name))
          .map((name) => `${where}: ${name}`),
      );
      expect(missing).toEqual([]);
    });
  },
);
