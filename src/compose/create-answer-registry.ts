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
 * and idempotent retries work from any instance), else known to this process only. The Redis
 * registry has three connections of its own: commands, the cancel subscription, and the one
 * blocked reading live streams. Its errors are counted and logged at most every 10 s.
 */
export async function createAnswerRegistry(config: Readonly<Config>, logger: Logger, metrics?: GatewayMetrics): Promise<AnswerRegistry> {
  const { chat } = config;
  if (!config.redisUrl) return new MemoryAnswerRegistry({ retentionSeconds: chat.answerRetentionSeconds });
  const [{ Redis }, { RedisAnswerRegistry }] = await Promise.all([import('ioredis'), import('../chat/answer-registry/redis-answer-registry.js')]);
  const onError = withRedisErrorCount(throttledWarn(logger, 'redis unavailable (answers in flight)'), metrics, 'answers');
  const retryStrategy = (times: number) => Math.min(50 * 2 ** (times - 1), 1_000) + Math.floor(Math.random() * 100);
  // commands fail within ~3 s while Redis is down (as the stores' client), never hang a chat
  const client = new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2, connectTimeout: 5_000, commandTimeout: 5_000, retryStrategy });
  const subscriber = new Redis(config.redisUrl, { lazyConnect: true, retryStrategy });
  // no command timeout: XREAD blocks on purpose
  const blocking = new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy });
  const connections = [client, subscriber, blocking];
  for (const connection of connections) connection.on('error', onError);
  const registry = new RedisAnswerRegistry({
    client,
    subscriber,
    blocking,
    prefix: config.redisKeyPrefix,
    instanceId: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
    leaseMs: chat.answerLeaseMs,
    retentionSeconds: chat.answerRetentionSeconds,
    maxDeltas: chat.answerStreamMaxEntries,
    onError,
  });
  try {
    await Promise.all(connections.map((connection) => connection.connect()));
    await registry.start();
  } catch (error) {
    for (const connection of connections) connection.disconnect();
    throw error;
  }
  return registry;
}
