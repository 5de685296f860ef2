import type { Config } from '../config/config-schema.js';
import { noMetrics, type GatewayMetrics } from '../observability/gateway-metrics.js';

/**
 * Prometheus metrics when METRICS_TOKEN or METRICS_PORT is set, else hooks that do nothing.
 * prom-client is imported only then: an instance without metrics does not pay its memory.
 * Each call makes its own registry (tests run several gateways in one process).
 */
export async function createMetrics(config: Readonly<Config>): Promise<GatewayMetrics> {
  if (!metricsEnabled(config)) return noMetrics;
  const { PromMetrics } = await import('../observability/prom-metrics.js');
  return new PromMetrics();
}

export function metricsEnabled(config: Readonly<Config>): boolean {
  return config.metrics.token !== undefined || config.metrics.port !== undefined;
}
