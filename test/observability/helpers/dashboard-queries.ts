import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Reads the provisioned Grafana dashboards and pulls out what the tests check: every panel target's
 * PromQL, every templating variable, and Grafana's variable substitution (enough of it to turn a panel
 * query into the PromQL Grafana would send).
 */

export interface GrafanaTarget {
  refId?: string;
  expr?: string;
  instant?: boolean;
  datasource?: { type?: string; uid?: string };
}

export interface GrafanaPanel {
  id?: number;
  type: string;
  title?: string;
  description?: string;
  datasource?: { type?: string; uid?: string };
  gridPos?: { h: number; w: number; x: number; y: number };
  targets?: GrafanaTarget[];
  panels?: GrafanaPanel[];
}

export interface GrafanaVariable {
  name: string;
  type: string;
  label?: string;
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string;
  definition?: string;
  query?: string | { query?: string };
  current?: { value?: string | string[] };
}

export interface Dashboard {
  file: string;
  uid: string;
  title: string;
  panels: GrafanaPanel[];
  templating?: { list: GrafanaVariable[] };
}

export interface DashboardQuery {
  /** "<dashboard title> / <panel title> / <refId>", for failure messages and allow-lists. */
  where: string;
  dashboard: string;
  panel: string;
  refId: string;
  expr: string;
}

export function loadDashboards(dir: string): Dashboard[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ file: f, ...(JSON.parse(readFileSync(join(dir, f), 'utf8')) as Omit<Dashboard, 'file'>) }));
}

/** All panels, including those nested in (collapsed) rows. */
export function panelsOf(d: Dashboard): GrafanaPanel[] {
  const out: GrafanaPanel[] = [];
  const walk = (panels: GrafanaPanel[] | undefined): void => {
    for (const p of panels ?? []) {
      out.push(p);
      walk(p.panels);
    }
  };
  walk(d.panels);
  return out;
}

export function queriesOf(d: Dashboard): DashboardQuery[] {
  return panelsOf(d).flatMap((p) =>
    (p.targets ?? [])
      .filter((t) => typeof t.expr === 'string' && t.expr.trim() !== '')
      .map((t) => ({
        where: `${d.title} / ${p.title ?? `panel ${p.id}`} / ${t.refId ?? '?'}`,
        dashboard: d.title,
        panel: p.title ?? '',
        refId: t.refId ?? '',
        expr: t.expr as string,
      })),
  );
}

export function variablesOf(d: Dashboard): GrafanaVariable[] {
  return d.templating?.list ?? [];
}

/** The text of a query variable, whichever of Grafana's shapes it is stored in. */
export function variableQuery(v: GrafanaVariable): string | undefined {
  if (typeof v.query === 'string') return v.query;
  return v.query?.query ?? v.definition;
}

/** `label_values(selector, label)` → its parts; undefined for anything else. */
export function parseLabelValues(query: string): { selector: string; label: string } | undefined {
  const m = /^\s*label_values\(\s*(.+?)\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$/s.exec(query);
  return m ? { selector: m[1] as string, label: m[2] as string } : undefined;
}

/**
 * Grafana's global variables with values that suit a short test: a window that holds several samples
 * at a 1 s scrape interval.
 */
export const GRAFANA_GLOBALS: Readonly<Record<string, string>> = Object.freeze({
  __rate_interval: '1m',
  __interval: '15s',
  __interval_ms: '15000',
  __range: '5m',
  __range_s: '300',
  __range_ms: '300000',
});

/**
 * Replaces $var, ${var}, ${var:format} and [[var]] with `values[var]` (or a Grafana global). Throws on a
 * variable it does not know, so a typo in a dashboard fails the test instead of reaching Prometheus.
 */
export function substituteVariables(expr: string, values: Readonly<Record<string, string>>): string {
  return expr.replace(/\$\{(\w+)(?::[^}]*)?\}|\[\[(\w+)\]\]|\$(\w+)/g, (whole, a?: string, b?: string, c?: string) => {
    const name = (a ?? b ?? c) as string;
    const value = values[name] ?? GRAFANA_GLOBALS[name];
    if (value === undefined) throw new Error(`unknown dashboard variable ${whole} in: ${expr}`);
    return value;
  });
}

/** A multi-value selection the way Grafana writes it into a regex matcher: (a|b|c), regex-escaped. */
export function multiValueRegex(values: string[]): string {
  // Inside a PromQL double-quoted string a regex backslash must itself be escaped.
  const escaped = values.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, (ch) => `\\\\${ch}`));
  return escaped.length === 1 ? (escaped[0] as string) : `(${escaped.join('|')})`;
}
