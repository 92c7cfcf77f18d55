import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/** The Prometheus rule files and promtool rule tests under config/prometheus/, parsed. */

export interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface RuleGroup {
  name: string;
  rules: Rule[];
}

export interface RuleTestFile {
  file: string;
  rule_files: string[];
  tests: {
    name?: string;
    alert_rule_test?: { alertname: string; eval_time: string; exp_alerts?: unknown[] | null }[];
    promql_expr_test?: { expr: string }[];
  }[];
}

export function loadRuleGroups(rulesDir: string): { file: string; group: RuleGroup }[] {
  return readdirSync(rulesDir)
    .filter((f) => f.endsWith('.yml') || f.endsWith('.yaml'))
    .sort()
    .flatMap((f) => {
      const doc = parse(readFileSync(join(rulesDir, f), 'utf8')) as { groups: RuleGroup[] };
      return doc.groups.map((group) => ({ file: f, group }));
    });
}

export function allRules(rulesDir: string): Rule[] {
  return loadRuleGroups(rulesDir).flatMap(({ group }) => group.rules);
}

export function loadRuleTests(testsDir: string): RuleTestFile[] {
  return readdirSync(testsDir)
    .filter((f) => f.endsWith('.yml') || f.endsWith('.yaml'))
    .sort()
    .map((f) => ({ file: f, ...(parse(readFileSync(join(testsDir, f), 'utf8')) as Omit<RuleTestFile, 'file'>) }));
}
