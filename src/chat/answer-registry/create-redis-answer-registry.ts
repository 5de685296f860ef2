import { createRedisClient, reconnectBackoff } from '../../store/redis/create-redis-client.js';
import { RedisAnswerRegistry, type RedisAnswerRegistryOptions } from './redis-answer-registry.js';

export type CreateRedisAnswerRegistryOptions = Omit<RedisAnswerRegistryOptions, 'client' | 'subscriber' | 'blocking'> & {
  /** e.g. `redis://:password@host:6379/0` */
  url: string;
};

/**
 * Opens the registry's three connections (commands, the cancel subscription, the blocked
 * stream reader) for REDIS_URL in any of its forms (single, Sentinel, Cluster), subscribes, and returns the registry that owns them. Throws when Redis does
 * not answer, closing what it opened.
 *
 * @example
 * const answers = await createRedisAnswerRegistry({ url, prefix: 'wag:', instanceId: 'a', leaseMs: 10_000, maxDeltas: 10_000, onError });
 */
export async function createRedisAnswerRegistry(options: CreateRedisAnswerRegistryOptions): Promise<RedisAnswerRegistry> {
  const retryStrategy = reconnectBackoff;
  // commands fail within ~3 s while Redis is down (as the stores' client): a chat never hangs on it
  // auto-pipelining: the stream entries of all answers written in one tick go out in one write
  const client = createRedisClient(options.url, {
    lazyConnect: true,
    enableAutoPipelining: true,
    maxRetriesPerRequest: 2,
    connectTimeout: 5_000,
    commandTimeout: 5_000,
    retryStrategy,
  });
  // the registry subscribes again after each reconnect itself (see its constructor)
  const subscriber = createRedisClient(options.url, { lazyConnect: true, retryStrategy, autoResubscribe: false });
  // no command timeout: XREAD blocks on purpose
  const blocking = createRedisClient(options.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy });
  const connections = [client, subscriber, blocking];
  for (const connection of connections) connection.on('error', options.onError);
  const registry = new RedisAnswerRegistry({ ...options, client, subscriber, blocking });
  try {
    await Promise.all(connections.map((connection) => connection.connect()));
    await registry.start();
  } catch (error) {
    for (const connection of connections) connection.disconnect();
    throw error;
  }
  return registry;
}
