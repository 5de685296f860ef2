import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { noMetrics } from '../observability/gateway-metrics.js';
import { metricsRoute } from '../transport/http/metrics-route.js';

/**
 * `WORKERS=n` with METRICS_PORT: the primary listens on METRICS_PORT and answers /metrics with
 * every worker's metrics summed (prom-client's AggregatorRegistry asks each worker over the
 * cluster IPC channel). The workers do not listen on that port themselves: a scrape that
 * reached one worker would see a 1/n share of the traffic. Same token rule as one process.
 */
export async function serveClusterMetrics(options: { host: string; port: number; token?: string; logger: Logger }): Promise<FastifyInstance> {
  const { AggregatorRegistry } = await import('../observability/prom-metrics.js');
  const aggregator = new AggregatorRegistry();
  const server = Fastify({ loggerInstance: options.logger.child({ listener: 'metrics' }) as FastifyBaseLogger });
  await server.register(metricsRoute, {
    metrics: { ...noMetrics, render: async () => ({ contentType: aggregator.contentType, body: await aggregator.clusterMetrics() }) },
    token: options.token,
  });
  await server.listen({ host: options.host, port: options.port });
  return server;
}
