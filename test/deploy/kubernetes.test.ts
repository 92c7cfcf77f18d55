import { readdirSync, readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { PrometheusRule, ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { ConfigMap, Service } from 'kubernetes-models/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { parseConfig } from '../../src/config/load';
import { loadRuleGroups } from '../observability/helpers/rule-files';
import { repoPath } from '../support/repo-paths';

// The manifests in deploy/kubernetes/, validated offline against the Kubernetes and Prometheus Operator
// schemas (kubernetes-models' validate() needs no cluster), and checked against each other and against
// the rule files the promtool tests cover.

type Manifest = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string> }; [k: string]: unknown };

const DIR = repoPath('deploy', 'kubernetes');
const manifests: Manifest[] = readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .flatMap((f) => parseAllDocuments(readFileSync(`${DIR}/${f}`, 'utf8')).map((d) => d.toJS() as Manifest));
const one = <T extends Manifest>(kind: string): T => {
  const found = manifests.filter((m) => m.kind === kind);
  expect(found).toHaveLength(1);
  return found[0] as T;
};

const MODELS: Record<string, (m: Manifest) => { validate(): void }> = {
  'apps/v1/Deployment': (m) => new Deployment(m as never),
  'v1/Service': (m) => new Service(m as never),
  'v1/ConfigMap': (m) => new ConfigMap(m as never),
  'policy/v1/PodDisruptionBudget': (m) => new PodDisruptionBudget(m as never),
  'monitoring.coreos.com/v1/ServiceMonitor': (m) => new ServiceMonitor(m as never),
  'monitoring.coreos.com/v1/PrometheusRule': (m) => new PrometheusRule(m as never),
};

describe('deploy/kubernetes', () => {
  it('ships a Deployment, Service, ServiceMonitor, PrometheusRule, ConfigMap and PodDisruptionBudget (no Secret values)', () => {
    expect(manifests.map((m) => m.kind).sort()).toEqual(['ConfigMap', 'Deployment', 'PodDisruptionBudget', 'PrometheusRule', 'Service', 'ServiceMonitor']);
  });

  it.each(manifests.map((m) => [`${m.kind}/${m.metadata.name}`, m] as const))('%s validates against its schema', (_name, m) => {
    const model = MODELS[`${m.apiVersion}/${m.kind}`];
    expect(model).toBeDefined();
    expect(() => model!(m).validate()).not.toThrow();
  });

  it('validation would catch a broken manifest (the check is real)', () => {
    const d = structuredClone(one('Deployment')) as Manifest & { spec: { replicas: unknown } };
    d.spec.replicas = 'two';
    expect(() => new Deployment(d as never).validate()).toThrow();
  });

  it('runs two replicas with readiness on /-/ready and liveness on /-/healthy, keys from a Secret', () => {
    const d = one<Manifest & { spec: { replicas: number; template: { spec: { containers: Record<string, unknown>[] } } } }>('Deployment');
    expect(d.spec.replicas).toBe(2);
    const c = d.spec.template.spec.containers[0] as {
      readinessProbe: { httpGet: { path: string } };
      livenessProbe: { httpGet: { path: string } };
      env: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string } } }[];
    };
    expect(c.readinessProbe.httpGet.path).toBe('/-/ready');
    expect(c.livenessProbe.httpGet.path).toBe('/-/healthy');
    for (const name of ['VOLC_ACCESSKEY', 'VOLC_SECRETKEY', 'RTC_REDIS_PASSWORD']) {
      const e = c.env.find((x) => x.name === name);
      expect(e?.value).toBeUndefined();
      expect(e?.valueFrom?.secretKeyRef?.name).toBe('rtc-room-monitor-credentials');
    }
  });

  it('mounts a ConfigMap config that the daemon accepts, in cluster mode', () => {
    const cm = one<Manifest & { data: Record<string, string> }>('ConfigMap');
    const cfg = parseConfig(cm.data['monitor.yaml']!, 'configmap');
    expect(cfg.cluster?.failoverSeconds).toBe(10);
    expect(new URL(cfg.cluster!.redis.url).password).toBe('');
  });

  it('selects the same pods everywhere; the ServiceMonitor scrapes the Service port; the PDB keeps one replica', () => {
    const labels = { 'app.kubernetes.io/name': 'rtc-room-monitor' };
    const d = one<Manifest & { spec: { selector: { matchLabels: object }; template: { metadata: { labels: object } } } }>('Deployment');
    const svc = one<Manifest & { spec: { selector: object; ports: { name: string }[] } }>('Service');
    const sm = one<Manifest & { spec: { selector: { matchLabels: object }; endpoints: { port: string }[] } }>('ServiceMonitor');
    const pdb = one<Manifest & { spec: { minAvailable: number; selector: { matchLabels: object } } }>('PodDisruptionBudget');
    expect(d.spec.selector.matchLabels).toEqual(labels);
    expect(d.spec.template.metadata.labels).toEqual(labels);
    expect(svc.spec.selector).toEqual(labels);
    expect(sm.spec.selector.matchLabels).toEqual(labels);
    expect(pdb.spec.selector.matchLabels).toEqual(labels);
    expect(svc.metadata.labels).toEqual(labels);
    // The job label becomes the Service name, which the alerts select (job="rtc-room-monitor").
    expect(svc.metadata.name).toBe('rtc-room-monitor');
    expect(svc.spec.ports.map((p) => p.name)).toContain(sm.spec.endpoints[0]!.port);
    expect(pdb.spec.minAvailable).toBe(1);
  });

  it('carries exactly the rule groups of config/prometheus/rules (regenerate: node scripts/generate-prometheusrule.cjs)', () => {
    const rule = one<Manifest & { spec: { groups: unknown[] } }>('PrometheusRule');
    expect(rule.spec.groups).toEqual(loadRuleGroups(repoPath('config', 'prometheus', 'rules')).map((g) => g.group));
  });
});
