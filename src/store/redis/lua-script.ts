import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';

/**
 * A Lua script run by its SHA1 (EVALSHA): its body crosses the wire and is hashed by Redis once
 * per server, not on every call — at thousands of chats a second, EVAL's re-sent body was the
 * gateway's largest write. A Redis that does not know the script yet (first call, restart,
 * SCRIPT FLUSH) answers NOSCRIPT, and the call is made once with EVAL, which caches it.
 */
export class LuaScript {
  readonly sha: string;

  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(client: Redis | Cluster, keys: string[], args: Array<string | number>): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return client.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}
