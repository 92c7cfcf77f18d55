import { existsSync, readFileSync } from 'node:fs';
import { DEMO_CREDENTIALS, Simulator, demoCalls, demoRooms } from '../../src/simulator';
import { RunningDaemon, startDaemon } from '../support/daemon-process';
import { freePort } from '../support/free-port';
import { PromSeries, RunningPrometheus, startPrometheus } from '../support/prometheus-process';
import { describeWithRequirements, executable, fileRequirement } from '../support/required-tools';
import { DAEMON_CLI, repoPath } from '../support/repo-paths';
import { waitFor } from '../support/wait-for';
import {
  Dashboard,
  DashboardQuery,
  loadDashboards,
  multiValueRegex,
  parseLabelValues,
  queriesOf,
  substituteVariables,
  variableQuery,
  variablesOf,
} from './helpers/dashboard-queries';
import { monitorTestConfig, roomsOf } from './helpers/monitor-test-config';
import { testPrometheusConfig } from './helpers/prometheus-test-config';
import { metricNamesIn } from './helpers/promql-names';
import { Rule, allRules } from './helpers/rule-files';

/**
 * The observability pack against the real thing: the simulator's demo world, the built daemon polling it
 * with the compose stack's monitor config, and a real `prometheus` scraping the daemon with the shipped
 * prometheus.yml and rules. Every PromQL expression in the dashboards and rules goes through
 * Prometheus' HTTP API; a query error fails, and so does a dashboard query that returns no series.
 */

const PROMETHEUS_YML = repoPath('config', 'prometheus', 'prometheus.yml');
const DASHBOARDS = loadDashboards(repoPath('grafana', 'dashboards'));
const RULES = allRules(repoPath('config', 'prometheus', 'rules'));
const MONITOR_JOB = 'rtc-room-monitor';

/**
 * Dashboard queries allowed to return no series in this healthy demo world, keyed by
 * "<dashboard> / <panel> / <refId>", each with the reason. Empty today: the demo world has a missing
 * room (ghost), rooms with and without capacity, and every counter is exported from the start, so every
 * panel has data. Add an entry only for a panel that shows a condition the demo world cannot produce.
 */
const MAY_BE_EMPTY: Readonly<Record<string, string>> = {};

describeWithRequirements(
  'dashboards and rules against a real Prometheus',
  [executable('prometheus'), fileRequirement('dist/src/cli.js', existsSync(DAEMON_CLI), 'run npm run build')],
  () => {
    let sim: Simulator | undefined;
    let daemon: RunningDaemon | undefined;
    let prom: RunningPrometheus | undefined;
    let rooms: string[] = [];

    const promOrFail = (): RunningPrometheus => {
      if (!prom) throw new Error('prometheus did not start');
      return prom;
    };
    const series = async (expr: string): Promise<PromSeries[]> => {
      const r = await promOrFail().query(expr);
      if (!r.ok) throw new Error(`${expr}: ${r.error}`);
      return r.series;
    };

    beforeAll(async () => {
      // The demo world with the long calls of lobby and stage only (no classes coming and going): discovery
      // has data, and the rooms are exactly the configured ones.
      sim = new Simulator({ credentials: { ...DEMO_CREDENTIALS }, rooms: demoRooms(), calls: demoCalls(Date.now(), 0) });
      const endpoint = await sim.start();
      // A 2 s schedule: fast, yet the stale threshold (3 x 2 s) stays clear of the 1 s scrape + 1 s
      // evaluation lag on a loaded machine.
      const config = monitorTestConfig(repoPath('config', 'compose', 'monitor-simulator.yaml'), { endpoint, schedule: '*/2 * * * * *' });
      rooms = roomsOf(config).map((r) => r.roomId);
      // Callbacks on (nothing posts them): their families are exported at 0, so the Callbacks row has data.
      daemon = await startDaemon({ config: { ...config, events: { log: false }, callbacks: {} }, credentials: DEMO_CREDENTIALS, env: { RTC_CALLBACK_SECRET: 'e2e-callback-secret' } });

      const port = await freePort();
      const configYaml = testPrometheusConfig(readFileSync(PROMETHEUS_YML, 'utf8'), {
        originalPath: PROMETHEUS_YML,
        targets: { [MONITOR_JOB]: [daemon.target], prometheus: [`127.0.0.1:${port}`] },
        intervalSeconds: 1,
      });
      prom = await startPrometheus({ configYaml, port });

      // Enough scrapes for rate() over the dashboards' windows, and every recording rule evaluated on them.
      const recorded = RULES.flatMap((r) => (r.record ? [r.record] : []));
      await waitFor(
        'four scrapes of the monitor and data for every recording rule',
        async () => {
          prom?.process.assertRunning();
          daemon?.process.assertRunning();
          const scrapes = await series(`count_over_time(up{job="${MONITOR_JOB}"}[1m])`);
          if (Number(scrapes[0]?.value[1] ?? 0) < 4) return undefined;
          for (const name of recorded) if ((await series(name)).length === 0) return undefined;
          return true;
        },
        { timeoutMs: 30_000, intervalMs: 250 },
      ).catch((err: unknown) => {
        throw prom?.process.describeFailure(`${(err as Error).message}\n--- daemon output ---\n${daemon?.process.output()}`) ?? err;
      });
    }, 50_000);

    afterAll(async () => {
      await prom?.stop();
      await daemon?.stop();
      await sim?.stop();
    });

    it('scrapes the monitor under the job name the rules and dashboards select', async () => {
      const targets = await promOrFail().api<{ activeTargets: { labels: Record<string, string>; health: string; lastError: string }[] }>('targets');
      const mine = targets.activeTargets.filter((t) => t.labels.job === MONITOR_JOB);
      expect(mine.map((t) => ({ instance: t.labels.instance, health: t.health, lastError: t.lastError }))).toEqual([
        { instance: daemon?.target, health: 'up', lastError: '' },
      ]);
    });

    it('evaluates every rule without error', async () => {
      const data = await promOrFail().api<{ groups: { rules: { name: string; health: string; lastError?: string }[] }[] }>('rules');
      const loaded = data.groups.flatMap((g) => g.rules);
      expect(loaded.map((r) => r.name).sort()).toEqual(RULES.map((r) => r.alert ?? r.record).sort());
      expect(loaded.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`)).toEqual([]);
    });

    it('runs every rule expression, and every recording rule has data', async () => {
      const problems: string[] = [];
      for (const rule of RULES) {
        const r = await promOrFail().query(rule.expr);
        const name = rule.alert ?? rule.record;
        if (!r.ok) problems.push(`${name}: ${r.error}`);
        else if (rule.record && r.series.length === 0) problems.push(`${name}: no series`);
      }
      expect(problems).toEqual([]);
    });

    it('finds the healthy demo world in the alert expressions: only the missing room alerts', async () => {
      const alert = (name: string): Rule => {
        const rule = RULES.find((r) => r.alert === name);
        if (!rule) throw new Error(`no alert ${name}`);
        return rule;
      };
      const roomsIn = async (name: string): Promise<string[]> => (await series(alert(name).expr)).map((s) => s.metric.room_id ?? '(no room)');

      // `for` is not applied here: these are the conditions as Prometheus sees them right now.
      const notExisting = await roomsIn('RtcRoomNotExisting');
      expect(notExisting).toContain('ghost');
      expect(notExisting).not.toEqual(expect.arrayContaining(['lobby']));
      expect(notExisting.filter((r) => ['lobby', 'stage', 'quiet'].includes(r))).toEqual([]);
      // Only rooms with a configured capacity can be near capacity.
      expect((await roomsIn('RtcRoomNearCapacity')).filter((r) => !['lobby', 'stage'].includes(r))).toEqual([]);
      for (const quiet of ['RtcRoomDataStale', 'RtcRoomOccupancyDrop', 'RtcApiErrorRatioHigh', 'RtcApiThrottled', 'RtcMonitorDown', 'RtcMonitorAbsent']) {
        expect({ alert: quiet, series: await series(alert(quiet).expr) }).toEqual({ alert: quiet, series: [] });
      }
    });

    describe.each(DASHBOARDS.map((d) => [d.title, d] as const))('%s', (_title, dashboard) => {
      /** Values of the dashboard's query variables, discovered the way Grafana does (label_values). */
      const discover = async (d: Dashboard): Promise<Record<string, string[]>> => {
        const found: Record<string, string[]> = {};
        for (const v of variablesOf(d).filter((x) => x.type === 'query')) {
          const lv = parseLabelValues(variableQuery(v) ?? '');
          if (!lv) throw new Error(`variable ${v.name}: only label_values(...) queries are supported, got ${variableQuery(v)}`);
          // Chained variables (room_id depends on app_id) see the "All" selection.
          const selector = substituteVariables(lv.selector, Object.fromEntries(Object.keys(found).map((k) => [k, '.*'])));
          found[v.name] = (await series(`group by (${lv.label}) (${selector})`)).map((s) => s.metric[lv.label] ?? '').sort();
        }
        return found;
      };

      /** Fixed variables (custom, constant, interval) at their saved value. */
      const fixed = (d: Dashboard): Record<string, string> =>
        Object.fromEntries(
          variablesOf(d)
            .filter((v) => v.type !== 'query' && v.type !== 'datasource')
            .map((v) => [v.name, String(Array.isArray(v.current?.value) ? v.current?.value[0] : v.current?.value)]),
        );

      const runAll = async (queries: DashboardQuery[], values: Record<string, string>): Promise<string[]> => {
        const problems: string[] = [];
        for (const q of queries) {
          const expr = substituteVariables(q.expr, values);
          const r = await promOrFail().query(expr);
          if (!r.ok) {
            problems.push(`${q.where}: ${r.error}\n    ${expr}`);
          } else if (r.series.length === 0 && MAY_BE_EMPTY[q.where] === undefined) {
            const names = metricNamesIn(expr);
            const without: string[] = [];
            for (const n of names) if ((await series(`count(${n === 'up' ? `up{job="${MONITOR_JOB}"}` : n})`)).length === 0) without.push(n);
            problems.push(`${q.where}: no series${without.length ? ` (no data at all for ${without.join(', ')})` : ''}\n    ${expr}`);
          }
        }
        return problems;
      };

      it('fills its template variables with the monitored apps, rooms and instances', async () => {
        const found = await discover(dashboard);
        const expected: Record<string, string[]> = {
          app_id: ['demo-app'],
          room_id: [...rooms].sort(),
          instance: [daemon?.target ?? ''],
        };
        for (const [name, values] of Object.entries(found)) {
          expect({ variable: name, values }).toEqual({ variable: name, values: expected[name] ?? expect.arrayContaining([expect.any(String)]) });
        }
      });

      it('has data for every panel query with each value selected explicitly', async () => {
        const found = await discover(dashboard);
        const values = { ...fixed(dashboard), ...Object.fromEntries(Object.entries(found).map(([k, v]) => [k, multiValueRegex(v)])) };
        expect(await runAll(queriesOf(dashboard), values)).toEqual([]);
      });

      it('has data for every panel query with "All" selected (the default)', async () => {
        const all = Object.fromEntries(variablesOf(dashboard).filter((v) => v.type === 'query').map((v) => [v.name, v.allValue ?? '.*']));
        expect(await runAll(queriesOf(dashboard), { ...fixed(dashboard), ...all })).toEqual([]);
      });
    });

    it('has no stale allow-list entries', () => {
      const known = new Set(DASHBOARDS.flatMap((d) => queriesOf(d).map((q) => q.where)));
      expect(Object.keys(MAY_BE_EMPTY).filter((k) => !known.has(k))).toEqual([]);
    });
  },
);
