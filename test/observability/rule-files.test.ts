import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { repoPath } from '../support/repo-paths';
import { loadDashboards, queriesOf } from './helpers/dashboard-queries';
import { metricNamesIn } from './helpers/promql-names';
import { allRules, loadRuleGroups, loadRuleTests } from './helpers/rule-files';

// Conventions every alert and rule test must follow; promtool itself only checks syntax.

const RULES_DIR = repoPath('config', 'prometheus', 'rules');
const TESTS_DIR = repoPath('config', 'prometheus', 'tests');

const rules = allRules(RULES_DIR);
const alerts = rules.filter((r) => r.alert !== undefined);
const recordings = rules.filter((r) => r.record !== undefined);

describe('alert rules', () => {
  it('defines the alerts the issue asks for', () => {
    expect(alerts.map((a) => a.alert).sort()).toEqual(
      [
        'RtcApiErrorRatioHigh',
        'RtcApiThrottled',
        'RtcCallbackSignatureFailures',
        'RtcCallbacksMissingChanges',
        'RtcDiscoveryFailing',
        'RtcClusterNoLeader',
        'RtcClusterSplitBrain',
        'RtcMonitorAbsent',
        'RtcMonitorDown',
        'RtcRoomDataStale',
        'RtcRoomFull',
        'RtcRoomNearCapacity',
        'RtcRoomNotExisting',
        'RtcRoomOccupancyDrop',
        'RtcStateWriteFailing',
        'RtcEventSinkLosingEvents',
      ].sort(),
    );
  });

  it.each(alerts.map((a) => [a.alert, a] as const))('%s has for, severity, summary and description', (_name, alert) => {
    expect(alert.for).toMatch(/^\d+[smh]$/);
    expect(['warning', 'critical']).toContain(alert.labels?.severity);
    expect(alert.annotations?.summary?.trim()).toBeTruthy();
    expect(alert.annotations?.description?.trim()).toBeTruthy();
  });

  it.each(alerts.filter((a) => /rtc_room_|rtc:room_/.test(a.expr)).map((a) => [a.alert, a] as const))(
    '%s names the room in its summary and description',
    (_name, alert) => {
      for (const text of [alert.annotations?.summary, alert.annotations?.description]) {
        expect(text).toContain('{{ $labels.app_id }}');
        expect(text).toContain('{{ $labels.room_id }}');
      }
    },
  );

  it('has unique names', () => {
    const names = rules.map((r) => r.alert ?? r.record);
    expect(new Set(names).size).toBe(names.length);
  });
});

describe('recording rules', () => {
  it('follow the level:metric:operation naming convention', () => {
    for (const r of recordings) expect(r.record).toMatch(/^rtc:[a-z_]+(:[a-z0-9_]+)?$/);
  });

  it('are each shared by a dashboard or an alert (otherwise they are dead weight)', () => {
    const readers = [
      ...alerts.map((a) => a.expr),
      ...loadDashboards(repoPath('grafana', 'dashboards')).flatMap((d) => queriesOf(d).map((q) => q.expr)),
    ];
    for (const r of recordings) {
      expect({ record: r.record, used: readers.some((e) => metricNamesIn(e).includes(r.record as string)) }).toEqual({ record: r.record, used: true });
    }
  });
});

describe('promtool rule tests', () => {
  const testFiles = loadRuleTests(TESTS_DIR);
  const cases = testFiles.flatMap((f) => f.tests.flatMap((t) => t.alert_rule_test ?? []));

  it('load every rule file', () => {
    const ruleFiles = new Set(loadRuleGroups(RULES_DIR).map((g) => g.file));
    const tested = new Set(testFiles.flatMap((f) => f.rule_files.map((p) => basename(p))));
    expect([...ruleFiles].filter((f) => !tested.has(f))).toEqual([]);
  });

  it.each(alerts.map((a) => [a.alert as string]))('%s has a case where it fires and one where it stays quiet', (name) => {
    const mine = cases.filter((c) => c.alertname === name);
    expect(mine.some((c) => (c.exp_alerts ?? []).length > 0)).toBe(true);
    expect(mine.some((c) => (c.exp_alerts ?? []).length === 0)).toBe(true);
  });
});

describe('README.md', () => {
  const doc = readFileSync(repoPath('README.md'), 'utf8');

  it.each(alerts.map((a) => [a.alert as string]))('documents %s in the alerts table', (name) => {
    expect(doc).toMatch(new RegExp(`^\\|\\s*\`?${name}\`?\\s*\\|`, 'm'));
  });
});
