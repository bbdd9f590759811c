import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createBotMetrics } from '../../../src/observability/metrics.js';

const root = resolve(import.meta.dirname, '../../..');

interface Dashboard {
  templating: { list: Array<{ name: string; type: string; query: unknown }> };
  panels: Array<{ type: string; title: string; datasource?: { uid: string }; targets?: Array<{ expr: string }> }>;
}

describe('docs/grafana-dashboard.json', () => {
  const dashboard = JSON.parse(readFileSync(join(root, 'docs/grafana-dashboard.json'), 'utf8')) as Dashboard;
  const exprs = dashboard.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr);

  it('picks its Prometheus data source from a variable', () => {
    expect(dashboard.templating.list).toContainEqual(expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' }));
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) expect(panel.datasource?.uid, panel.title).toBe('${datasource}');
  });

  it('has a panel for every metric family the bot exports, and names none it does not', async () => {
    const metrics = createBotMetrics({ isKnownModel: () => false });
    metrics.watch({ queue: () => ({ queued: 0, running: 0 }), shardPings: () => [] });
    const families = (await metrics.registry.getMetricsAsJSON()).map((m) => m.name);
    for (const family of families) expect(exprs.some((e) => e.includes(family)), family).toBe(true);
    const named = new Set(exprs.flatMap((e) => e.match(/imagine_[a-z_]+/g) ?? []).map((n) => n.replace(/_(bucket|count|sum)$/, '')));
    for (const name of named) expect(families, name).toContain(name);
  });
});
