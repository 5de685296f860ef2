import type { RedisClient } from './create-redis-client.js';

/**
 * Ends a connection its owner is done with, without losing what was already asked of it.
 *
 * An auto-pipelined command is written on the next event-loop turn, or after the pipeline
 * still in flight; QUIT never is (ioredis sends it at once), so it would overtake such a
 * command and Redis would close before answering it ("Connection is closed.", the write lost).
 * A PING goes through the same pipeline: once it is answered, so is everything before it.
 * A client that is not ready (down, reconnecting, never connected) has nothing in flight to
 * wait for and is dropped at once, as is one whose connection dies meanwhile (a QUIT refused on a
 * socket that died unnoticed would otherwise leave the client reconnecting forever: found by
 * create-limits.test.ts). On a Cluster the
 * PING reaches one node, so the flush is only for the commands bound to it.
 */
export async function closeRedisClient(client: RedisClient): Promise<void> {
  if (client.status === 'ready') {
    try {
      await client.ping();
      await client.quit();
      return;
    } catch {
      // the connection died meanwhile: nothing left to flush
    }
  }
  client.disconnect();
}
