import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

const shas = new Map<string, string>();

/**
 * EVALSHA, falling back to EVAL once when Redis does not know the script yet (first use, or
 * after a restart or SCRIPT FLUSH): the script's text is not resent with every chat.
 */
export async function runScript(client: Redis, script: string, keys: string[], args: Array<string | number>): Promise<unknown> {
  let sha = shas.get(script);
  if (!sha) shas.set(script, (sha = createHash('sha1').update(script).digest('hex')));
  try {
    return await client.evalsha(sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    return client.eval(script, keys.length, ...keys, ...args);
  }
}
