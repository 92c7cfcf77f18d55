import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { repoPath } from '../support/repo-paths';
import {
  Dashboard,
  GRAFANA_GLOBALS,
  loadDashboards,
  panelsOf,
  parseLabelValues,
  queriesOf,
  variableQuery,
  variablesOf,
} from './helpers/dashboard-queries';

// Structure of the provisioned dashboards. Whether their queries return data is proven against a real
// Prometheus in prometheus-e2e.test.ts.

const dashboards = loadDashboards(repoPath('grafana', 'dashboards'));
const byTitle = (title: string): Dashboard => {
  const d = dashboards.find((x) => x.title === title);
  if (!d) throw new Error(`no dashboard titled ${title}`);
  return d;
};
const titles = (d: Dashboard): string[] => panelsOf(d).map((p) => p.title ?? '');

describe('provisioned dashboards', () => {
  it('are the two the issue asks for, with stable uids', () => {
    expect(dashboards.map((d) => [d.title, d.uid])).toEqual([
      ['RTC / Monitor health', 'rtc-monitor-health'],
      ['RTC / Room occupancy', 'rtc-room-occupancy'],
    ]);
  });

  it('are found where the Grafana provisioning provider looks', () => {
    const provider = parse(readFileSync(repoPath('grafana', 'provisioning', 'dashboards', 'dashboards.yml'), 'utf8')) as {
      providers: { type: string; options: { path: string } }[];
    };
    const compose = parse(readFileSync(repoPath('docker-compose.yml'), 'utf8')) as { services: { grafana: { volumes: string[] } } };
    expect(compose.services.grafana.volumes).toContain(`./grafana/dashboards:${provider.providers[0]?.options.path}:ro`);
  });

  describe.each(dashboards.map((d) => [d.title, d] as const))('%s', (_title, d) => {
    const panels = panelsOf(d);
    const visual = panels.filter((p) => p.type !== 'row');

    it('has unique panel ids and every panel inside the 24-column grid, without overlaps', () => {
      const ids = panels.map((p) => p.id);
      expect(new Set(ids).size).toBe(ids.length);
      const boxes = panels.map((p) => ({ title: p.title, ...(p.gridPos as NonNullable<typeof p.gridPos>) }));
      for (const b of boxes) {
        expect(b.x + b.w).toBeLessThanOrEqual(24);
        expect(b.w).toBeGreaterThan(0);
      }
      for (let i = 0; i < boxes.length; i++) {
        for (let j = i + 1; j < boxes.length; j++) {
          const a = boxes[i] as (typeof boxes)[number];
          const b = boxes[j] as (typeof boxes)[number];
          const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
          expect({ a: a.title, b: b.title, overlap }).toEqual({ a: a.title, b: b.title, overlap: false });
        }
      }
    });

    it('reads every panel from the datasource variable and describes it', () => {
      for (const p of visual) {
        expect({ panel: p.title, uid: p.datasource?.uid }).toEqual({ panel: p.title, uid: '${datasource}' });
        expect({ panel: p.title, hasDescription: (p.description ?? '').length > 10 }).toEqual({ panel: p.title, hasDescription: true });
        expect((p.targets ?? []).length).toBeGreaterThan(0);
        const refIds = (p.targets ?? []).map((t) => t.refId);
        expect(new Set(refIds).size).toBe(refIds.length);
      }
    });

    it('only uses variables it defines', () => {
      const known = new Set([...variablesOf(d).map((v) => v.name), ...Object.keys(GRAFANA_GLOBALS)]);
      const unknown = queriesOf(d).flatMap((q) =>
        [...q.expr.matchAll(/\$\{?(\w+)/g)].filter((m) => !known.has(m[1] as string)).map((m) => `${q.where}: ${m[0]}`),
      );
      expect(unknown).toEqual([]);
    });

    it('puts multi-value variables only in regex matchers (=~), where Grafana expands them to (a|b)', () => {
      const multi = variablesOf(d).filter((v) => v.multi).map((v) => v.name);
      for (const q of queriesOf(d)) {
        for (const name of multi) {
          const uses = q.expr.split(`$${name}`).length - 1;
          const inRegex = (q.expr.match(new RegExp(`=~"\\$${name}"`, 'g')) ?? []).length;
          expect({ where: q.where, variable: name, uses, inRegex }).toEqual({ where: q.where, variable: name, uses, inRegex: uses });
        }
      }
    });

    it("selects Node.js process metrics by job, since Prometheus' own process_* series share the names", () => {
      for (const q of queriesOf(d)) {
        for (const m of q.expr.matchAll(/\b(process_\w+|nodejs_\w+)(\{[^}]*\})?/g)) {
          expect({ where: q.where, selector: m[0] }).toEqual({ where: q.where, selector: expect.stringContaining('job="rtc-room-monitor"') });
        }
      }
    });
  });
});

describe('Room occupancy dashboard', () => {
  const d = byTitle('RTC / Room occupancy');

  it.each(['app_id', 'room_id'])('has a multi-select %s variable filled from label values', (name) => {
    const v = variablesOf(d).find((x) => x.name === name);
    expect(v).toMatchObject({ type: 'query', multi: true, includeAll: true });
    expect(parseLabelValues(variableQuery(v as NonNullable<typeof v>) ?? '')).toMatchObject({ label: name });
  });

  it('has the panel groups the issue lists', () => {
    expect(titles(d)).toEqual(
      expect.arrayContaining([
        'Users per room',
        'Invisible users per room',
        'Top $top_n rooms by users',
        'Rooms now',
        'Capacity use',
        'Capacity use over time',
        'Joins per minute',
        'Leaves per minute',
        'Rooms that do not exist',
      ]),
    );
  });
});

describe('Monitor health dashboard', () => {
  const d = byTitle('RTC / Monitor health');

  it('has the panel groups the issue lists', () => {
    expect(titles(d)).toEqual(
      expect.arrayContaining([
        'API requests by code',
        'API error ratio',
        'API latency',
        'Request rate vs cap',
        'Limiter wait time',
        'Cycle duration vs refresh period',
        'Cycles and overruns per minute',
        'Data age per room',
        'Memory',
        'CPU',
      ]),
    );
  });
});
