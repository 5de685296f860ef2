import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { PromMetrics } from '../src/observability/prom-metrics.js';

interface Dashboard {
  panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
}

describe('deploy/grafana-dashboard.json', () => {
  it('is JSON and queries only metrics the gateway exports', async () => {
    const dashboard = JSON.parse(readFileSync(new URL('../deploy/grafana-dashboard.json', import.meta.url), 'utf8')) as Dashboard;
    const metrics = new PromMetrics();
    metrics.watch({ openSockets: () => 0, queuedChats: () => 0, activeChats: () => 0, sqliteWalBytes: () => 0 });
    const exported = new Set((await metrics.registry.getMetricsAsJSON()).map((metric) => metric.name));
    const queried = dashboard.panels.flatMap((panel) => panel.targets.flatMap((target) => target.expr.match(/\bwag_[a-z0-9_]+/g) ?? []));
    assert.ok(queried.length >= 10, 'the panels query the gateway');
    for (const name of queried) {
      // a histogram's series are <name>_bucket / _sum / _count
      const family = name.replace(/_(bucket|sum|count)$/, '');
      assert.ok(exported.has(name) || exported.has(family), `${name} is not exported`);
    }
  });

  it('labels are only the closed-set ones (outcome, kind, limit, checker…): never an openid, IP or text', async () => {
    const metrics = new PromMetrics();
    metrics.login('ok');
    metrics.chatFinished('complete', 1);
    metrics.firstToken(0.5);
    metrics.tokens({ promptTokens: 3, completionTokens: 2, totalTokens: 5 });
    metrics.modelError('timeout');
    metrics.redisError('store');
    metrics.contentCheck('keywords', 'pass');
    metrics.rateLimited('chat_rate');
    metrics.sqliteCommit('history', 2, 0.0001);
    const names = new Set((await metrics.registry.getMetricsAsJSON()).flatMap((metric) => metric.values.flatMap((value) => Object.keys(value.labels))));
    const allowed = ['outcome', 'direction', 'kind', 'client', 'checker', 'verdict', 'limit', 'batch', 'le', 'quantile', 'type', 'space', 'version', 'major', 'minor', 'patch'];
    for (const name of names) assert.ok(allowed.includes(name), `unexpected label ${name}`);
  });
});
