import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { startTestNode } from '../support/app';
import type { TestNode } from '../support/app';
import { createTestDatabase } from '../support/test-database';
import type { TestDatabase } from '../support/test-database';
import { REPO } from './deploy-tree';

interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: string };
  annotations: { summary: string; description: string; runbook: string };
}

interface DashboardPanel {
  type: string;
  title: string;
  targets?: Array<{ expr: string }>;
}

const MONITORING = join(REPO, 'deploy', 'monitoring');
const rules = (
  parse(readFileSync(join(MONITORING, 'alerts.yaml'), 'utf8')) as { groups: Array<{ rules: AlertRule[] }> }
).groups.flatMap((g) => g.rules);
const dashboard = JSON.parse(readFileSync(join(MONITORING, 'grafana-dashboard.json'), 'utf8')) as {
  uid: string;
  title: string;
  panels: DashboardPanel[];
};
const runbook = readFileSync(join(REPO, 'docs', 'deploy.md'), 'utf8');

/** Metric families a PromQL expression reads (the app's metrics all carry one of these prefixes). */
function metricsIn(expr: string): string[] {
  const names = expr.match(/\b(?:distro|sync|http|process|nodejs|nacos)_[a-z0-9_]+\b/g) ?? [];
  return [...new Set(names.map((n) => n.replace(/_(bucket|sum|count)$/, '')))];
}

const dashboardExprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
const referenced = [
  ...new Set([...rules, ...dashboardExprs].flatMap((r) => metricsIn(typeof r === 'string' ? r : r.expr))),
];

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchors(markdown: string): string[] {
  return [...markdown.matchAll(/^#+\s+(.+)$/gm)].map((m) =>
    m[1]
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s-]/gu, '')
      .replace(/\s/g, '-'),
  );
}

describe('deploy/monitoring', () => {
  describe('alerts.yaml', () => {
    it.each([
      ['node not initialized', 'distro_initialized'],
      ['Distro members not UP', 'distro_members{state!="UP"}'],
      ['task lag', 'distro_sync_task_lag_seconds_bucket'],
      ['held deletions', 'distro_sync_task_held_deletions'],
      ['unreachable source', 'distro_sync_task_cluster_reachable{side="source"}'],
      ['unreachable target', 'distro_sync_task_cluster_reachable{side="target"}'],
    ])('should alert on %s', (_what, selector) => {
      expect(rules.filter((r) => r.expr.includes(selector))).not.toHaveLength(0);
    });

    it('should give every rule a unique name, a duration, a severity and a runbook section that exists', () => {
      expect(new Set(rules.map((r) => r.alert)).size).toBe(rules.length);
      const sections = anchors(runbook);
      for (const rule of rules) {
        expect(rule.for).toMatch(/^\d+[smh]$/);
        expect(['warning', 'critical']).toContain(rule.labels.severity);
        expect(rule.annotations.summary).toBeTruthy();
        const [file, anchor] = rule.annotations.runbook.split('#');
        expect({ alert: rule.alert, file, section: sections.includes(anchor) }).toEqual({
          alert: rule.alert,
          file: 'docs/deploy.md',
          section: true,
        });
      }
    });
  });

  describe('grafana-dashboard.json', () => {
    it('should be an importable dashboard whose panels all query Prometheus', () => {
      expect(dashboard).toEqual(expect.objectContaining({ uid: 'distro-sync', title: 'distro-sync' }));
      const queries = dashboard.panels.filter((p) => p.type !== 'row');
      expect(queries.length).toBeGreaterThan(5);
      for (const panel of queries)
        expect({ panel: panel.title, targets: panel.targets?.length ?? 0 }).not.toEqual({
          panel: panel.title,
          targets: 0,
        });
    });
  });

  it('should name in the runbook every metric the rules and the dashboard use', () => {
    expect(referenced.filter((name) => !runbook.includes(`\`${name}\``))).toEqual([]);
  });

  describe('metric names against the app', () => {
    let db: TestDatabase;
    let sut: TestNode;
    let exported: Set<string>;

    beforeAll(async () => {
      db = await createTestDatabase();
      sut = await startTestNode({ DATABASE_URL: db.url, DATABASE_POOL_SIZE: '2', LOG_LEVEL: 'warn' });
      const text = await (await fetch(`${sut.base}/metrics`)).text();
      exported = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
    });

    afterAll(async () => {
      await sut?.close();
      await db?.drop();
    });

    it('should use only metrics the app exports', () => {
      expect(referenced.length).toBeGreaterThan(10);
      expect(referenced.filter((name) => !exported.has(name))).toEqual([]);
    });
  });
});
