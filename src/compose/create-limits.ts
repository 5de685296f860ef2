import type { Logger } from 'pino';
import type { Config } from '../config/config-schema.js';
import { MemoryRateLimiter } from '../limits/memory-rate-limiter.js';
import { UsageLimits } from '../limits/usage-limits.js';
import { noMetrics, type GatewayMetrics } from '../observability/gateway-metrics.js';

/**
 * Counters in Redis when REDIS_URL is set (every instance shares them), else in this process.
 * The limiter has its own connection that fails fast: while Redis is down a check errors at
 * once (no offline queue, 500 ms per command) and UsageLimits lets the request through.
 * ioredis is imported only then.
 */
export async function createLimits(
  config: Readonly<Config>,
  logger: Logger,
  now?: () => number,
  metrics: GatewayMetrics = noMetrics,
): Promise<UsageLimits> {
  const onRefused = (limit: string) => metrics.rateLimited(limit);
  if (!config.redisUrl) return new UsageLimits(new MemoryRateLimiter({ now }), config.limits, logger, onRefused);
  const [{ createRedisClient }, { RedisRateLimiter }] = await Promise.all([
    import('../store/redis/create-redis-client.js'),
    import('../limits/redis-rate-limiter.js'),
  ]);
  const client = createRedisClient(config.redisUrl, {
    lazyConnect: true,
    // one write per event-loop turn for every chat's check, not one write (a system call) each
    enableAutoPipelining: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 500,
    retryStrategy: (times) => Math.min(50 * 2 ** (times - 1), 1_000) + Math.floor(Math.random() * 100),
  });
  // connection errors surface as failed checks (logged once by UsageLimits), never as a crash
  client.on('error', () => metrics.redisError('limiter'));
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw error;
  }
  return new UsageLimits(new RedisRateLimiter(client, { prefix: config.redisKeyPrefix, now, ownsClient: true }), config.limits, logger, onRefused);
}
