import type { GatewayMetrics } from '../observability/gateway-metrics.js';

/** A Redis client's error handler that also counts the error (wag_redis_errors_total{client}). */
export function withRedisErrorCount(
  onError: (error: Error) => void,
  metrics: GatewayMetrics | undefined,
  client: string,
): (error: Error) => void {
  if (!metrics) return onError;
  return (error) => {
    metrics.redisError(client);
    onError(error);
  };
}
