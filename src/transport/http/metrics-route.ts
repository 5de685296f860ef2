import type { FastifyInstance } from 'fastify';
import type { GatewayMetrics } from '../../observability/gateway-metrics.js';
import { bearerGuard } from './bearer-guard.js';

/**
 * `GET /metrics` in the Prometheus text format, a Fastify plugin (encapsulated, so the token
 * check covers this route only). With `token` (METRICS_TOKEN) every scrape needs
 * `Authorization: Bearer <token>`; without one the route is open — the app registers it so
 * only on the dedicated METRICS_PORT listener, never on the public port.
 *
 * @example
 * await app.register(metricsRoute, { metrics, token: config.metrics.token });
 * // scrape_configs: - job_name: wag  authorization: { credentials: <METRICS_TOKEN> }
 */
export async function metricsRoute(app: FastifyInstance, options: { metrics: GatewayMetrics; token?: string | undefined }): Promise<void> {
  if (options.token) app.addHook('onRequest', bearerGuard(options.token, 'metrics'));
  app.get('/metrics', async (_request, reply) => {
    const exposition = await options.metrics.render();
    if (!exposition) return reply.callNotFound();
    return reply.type(exposition.contentType).send(exposition.body);
  });
}
