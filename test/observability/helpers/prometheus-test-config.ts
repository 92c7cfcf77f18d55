import { dirname, isAbsolute, resolve } from 'node:path';
import { parse, stringify } from 'yaml';

/**
 * Turns the shipped config/prometheus/prometheus.yml into the config the end-to-end test runs, changing
 * only what cannot work on a test machine: scrape targets (compose service names → loopback ports),
 * intervals (15 s → 1 s so the test finishes quickly), rule file paths (made absolute, since the copy
 * lives in a temp dir) and the Alertmanager address (dropped; no Alertmanager runs in the test).
 * Everything else, the job names and the rule files themselves included, is the shipped config.
 */

export interface TestConfigOptions {
  /** Where the original file lives, to resolve its relative rule_files. */
  originalPath: string;
  /** job_name → replacement targets. Every scrape job must be listed, so a new job is not silently kept. */
  targets: Record<string, string[]>;
  intervalSeconds: number;
}

interface PromConfig {
  global?: Record<string, unknown>;
  rule_files?: string[];
  alerting?: unknown;
  scrape_configs?: { job_name: string; static_configs?: { targets: string[] }[]; [k: string]: unknown }[];
  [k: string]: unknown;
}

export function testPrometheusConfig(original: string, opts: TestConfigOptions): string {
  const cfg = parse(original) as PromConfig;
  const interval = `${opts.intervalSeconds}s`;
  cfg.global = { ...cfg.global, scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval };
  const base = dirname(opts.originalPath);
  cfg.rule_files = (cfg.rule_files ?? []).map((f) => (isAbsolute(f) ? f : resolve(base, f)));
  delete cfg.alerting;
  for (const job of cfg.scrape_configs ?? []) {
    const replacement = opts.targets[job.job_name];
    if (replacement === undefined) throw new Error(`prometheus.yml has a scrape job the test does not know: ${job.job_name}`);
    job.static_configs = [{ targets: replacement }];
    delete job.scrape_interval;
    delete job.scrape_timeout;
  }
  return stringify(cfg);
}
