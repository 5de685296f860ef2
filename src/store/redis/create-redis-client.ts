import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { parseRedisUrl } from './parse-redis-url.js';

/**
 * What every Redis-backed part of the gateway talks to: one server, a Sentinel-managed master
 * (a `Redis` either way) or a Redis Cluster. The commands the gateway sends are the same; in a
 * cluster every multi-key command (Lua scripts, MULTI) must keep its keys in one hash slot,
 * which is why the history keys carry `{openid}` (docs/deployment.md lists what needs what).
 */
export type RedisClient = Redis | Cluster;

/**
 * Reconnect forever, 50 ms doubling to a 1 s cap (the library's is 5 s, which would make each
 * call during a long outage wait ~10 s), plus jitter so replicas spread out.
 */
export const reconnectBackoff = (times: number): number => Math.min(50 * 2 ** (times - 1), 1_000) + Math.floor(Math.random() * 100);

/** The per-use tuning each caller picks (fail fast for limits, patient for stores). */
export type RedisTuning = Pick<
  RedisOptions,
  'lazyConnect' | 'enableAutoPipelining' | 'maxRetriesPerRequest' | 'enableOfflineQueue' | 'connectTimeout' | 'commandTimeout' | 'retryStrategy' | 'autoResubscribe'
>;

/**
 * A client for REDIS_URL in any of its forms (src/store/redis/parse-redis-url.ts).
 *
 * @example
 * const client = createRedisClient('redis+sentinel://s1:26379,s2:26379/mymaster', { lazyConnect: true });
 */
export function createRedisClient(url: string, tuning: RedisTuning): RedisClient {
  const target = parseRedisUrl(url);
  if (target.kind === 'single') return new Redis(url, tuning);
  if (target.kind === 'sentinel') {
    const { sentinels, name, username, password, sentinelPassword, db, tls } = target;
    return new Redis({
      ...tuning,
      sentinels,
      name,
      username,
      password,
      sentinelPassword,
      db,
      ...(tls ? { tls: {}, enableTLSForSentinelMode: true } : {}),
    });
  }
  const { retryStrategy, enableOfflineQueue, lazyConnect, ...perNode } = tuning;
  return new Cluster(target.nodes, {
    lazyConnect,
    enableOfflineQueue,
    // the cluster reconnects as a whole; its nodes follow it
    clusterRetryStrategy: retryStrategy ?? undefined,
    redisOptions: { ...perNode, username: target.username, password: target.password, ...(target.tls ? { tls: {} } : {}) },
  });
}
