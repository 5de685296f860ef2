import cluster from 'node:cluster';
import type { Config } from '../config/config-schema.js';
import { noMetrics, type GatewayMetrics } from '../observability/gateway-metrics.js';

/**
 * Prometheus metrics when METRICS_TOKEN or METRICS_PORT is set, else hooks that do nothing.
 * prom-client is imported only then: an instance without metrics does not pay its memory.
 * Each call makes its own registry (tests run several gateways in one process).
 */
export async function createMetrics(config: Readonly<Config>): Promise<GatewayMetrics> {
  if (!metricsEnabled(config)) return noMetrics;
  const { PromMetrics, AggregatorRegistry } = await import('../observability/prom-metrics.js');
  const metrics = new PromMetrics();
  // WORKERS=n: the primary sums what every worker reports (src/cluster/serve-cluster-metrics.ts)
  if (cluster.isWorker) {
    AggregatorRegistry.setRegistries([metrics.registry]);
    // only the constructor installs the worker's answer to the primary's requests
    void new AggregatorRegistry();
  }
  return metrics;
}

export function metricsEnabled(config: Readonly<Config>): boolean {
  return config.metrics.token !== undefined || config.metrics.port !== undefined;
}
