import type { StoreBundle } from '../store-bundle.js';
import { closeRedisClient } from './close-redis-client.js';
import { createRedisClient, reconnectBackoff } from './create-redis-client.js';
import { RedisFeedbackStore } from './redis-feedback-store.js';
import { RedisHistoryStore, type RedisHistoryOptions } from './redis-history-store.js';
import { RedisSessionStore } from './redis-session-store.js';
import { watchRedisHealth, type RedisHealthHandlers } from './watch-redis-health.js';

export interface RedisStoresOptions extends RedisHistoryOptions {
  /**
   * e.g. `redis://:password@host:6379/0`, `rediss://…` for TLS, or a Sentinel / Cluster URL
   * (parse-redis-url.ts)
   */
  url: string;
  /** Prepended to every key, so several deployments can share one Redis. Default `wag:`. */
  prefix?: string;
  /**
   * Connection-level errors (refused, reset, auth). Commands reject on their own; this only
   * reports, so the client never emits an unhandled 'error' that would crash the process.
   */
  onError?: (error: Error) => void;
  /** Called once when Redis goes away and once when it answers again (not per attempt). */
  health?: RedisHealthHandlers;
}

/**
 * Builds the stores on one Redis client that the bundle owns. The connection opens on the
 * first command (`lazyConnect`), so construction never throws and never races a listener;
 * a composition root that wants to fail fast at boot awaits `stores.history.ping()`.
 *
 * @example
 * const stores = createRedisStores({ url: 'redis://127.0.0.1:6379', onError: (e) => log.warn(e) });
 * await stores.sessions.ping();
 */
export function createRedisStores(options: RedisStoresOptions): StoreBundle {
  const prefix = options.prefix ?? 'wag:';
  const onError = options.onError ?? (() => {});
  const client = createRedisClient(options.url, {
    lazyConnect: true,
    // Commands asked for in one event-loop turn go out in one write: at thousands of chats a
    // second, each one's session read and history writes share the socket writes of the others.
    enableAutoPipelining: true,
    // While Redis is down a command waits for this many reconnect attempts, then rejects:
    // with reconnectBackoff a call fails within ~3 s, not after ~20 attempts (the default).
    maxRetriesPerRequest: 2,
    retryStrategy: reconnectBackoff,
    // An unreachable host (dropped packets, not refused) gives up after 5 s, not 10.
    connectTimeout: 5_000,
    // A reply later than this rejects the call; every command here is O(1) or O(limit).
    commandTimeout: 5_000,
  });
  client.on('error', onError);
  const health = options.health && watchRedisHealth(client, options.health);

  const history = new RedisHistoryStore(client, prefix, options);
  const sessions = new RedisSessionStore(client, prefix);
  const feedback = new RedisFeedbackStore(client, prefix, { retainMs: options.retainMs });
  let closing: Promise<void> | undefined;
  return {
    history,
    sessions,
    feedback,
    driver: 'redis',
    close() {
      closing ??= (async () => {
        health?.stop(); // a deliberate close is no outage
        await Promise.all([history.close(), sessions.close(), feedback.close()]);
        await closeRedisClient(client);
      })();
      return closing;
    },
  };
}
