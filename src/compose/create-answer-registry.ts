import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { AnswerRegistry } from '../chat/answer-registry/answer-registry.js';
import { MemoryAnswerRegistry } from '../chat/answer-registry/memory-answer-registry.js';
import type { Config } from '../config/config-schema.js';
import type { GatewayMetrics } from '../observability/gateway-metrics.js';
import { throttledWarn } from '../observability/throttled-warn.js';
import { withRedisErrorCount } from './with-redis-error-count.js';

/**
 * Answers in flight shared over Redis when REDIS_URL is set (resume, cancel, the one-chat rule
 * and idempotent retries work from any instance), else known to this process only. Redis
 * errors on the side path are counted (wag_redis_errors_total{client="answers"}) and logged at
 * most every 10 s. ioredis is imported only then.
 */
export async function createAnswerRegistry(config: Readonly<Config>, logger: Logger, metrics?: GatewayMetrics): Promise<AnswerRegistry> {
  const { chat } = config;
  if (!config.redisUrl) return new MemoryAnswerRegistry({ retentionSeconds: chat.answerRetentionSeconds });
  const { createRedisAnswerRegistry } = await import('../chat/answer-registry/create-redis-answer-registry.js');
  return createRedisAnswerRegistry({
    url: config.redisUrl,
    prefix: config.redisKeyPrefix,
    instanceId: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
    leaseMs: chat.answerLeaseMs,
    retentionSeconds: chat.answerRetentionSeconds,
    maxDeltas: chat.answerStreamMaxEntries,
    onError: withRedisErrorCount(throttledWarn(logger, 'redis unavailable (answers in flight)'), metrics, 'answers'),
  });
}
