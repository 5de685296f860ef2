import { randomUUID } from 'node:crypto';
import { conversationTitle } from '../conversation-title.js';
import type { StoredMessage } from '../history-store.js';
import type { RedisClient } from './create-redis-client.js';
import type { RedisConversationIndex } from './redis-conversation-index.js';
import { ADOPT_SCRIPT } from './redis-history-scripts.js';

/** Lists read at once while adopting, so a user who cleared thousands of times is not read in one go. */
const CHUNK = 50;

/**
 * Adopts a user whose history was written before conversations had ids: every number from 0 to
 * `:cur` / `:top` whose list still exists becomes a conversation with an id, a title, a count
 * and times computed from its messages, so old conversations stay listed after the upgrade.
 * Runs once per user (the script refuses when another instance did it first); the scripts
 * report such a user and the store calls this, then asks again.
 */
export async function adoptLegacyConversations(
  client: RedisClient,
  base: string,
  retainMs: number,
  index: RedisConversationIndex,
  openid: string,
): Promise<void> {
  const [cur, top] = await Promise.all([client.get(`${base}:cur`), client.get(`${base}:top`)]);
  const last = Math.max(Number(cur ?? 0), Number(top ?? 0)) || 0;
  const found: Array<{ n: number; id: string; title: string; createdAt: number; updatedAt: number; count: number }> = [];
  for (let from = 0; from <= last; from += CHUNK) {
    const numbers = Array.from({ length: Math.min(CHUNK, last - from + 1) }, (_, i) => from + i);
    const lists = await Promise.all(numbers.map((n) => client.lrange(`${base}:${n}:msgs`, 0, -1)));
    lists.forEach((raw, i) => {
      if (raw.length === 0) return;
      const messages = raw.map((json) => JSON.parse(json) as Pick<StoredMessage, 'role' | 'status' | 'content' | 'createdAt'>);
      const title = messages.map((m) => (typeof m.content === 'string' ? conversationTitle(m) : undefined)).find((t) => t !== undefined) ?? '';
      const times = messages.map((m) => Math.floor(Number(m.createdAt) || 0));
      found.push({ n: numbers[i]!, id: randomUUID(), title, createdAt: times[0]!, updatedAt: Math.max(...times), count: raw.length });
    });
  }
  const adopted = (await ADOPT_SCRIPT.run(client, [`${base}:cur`], [base, retainMs, JSON.stringify(found)])) as number;
  if (adopted > 0) await Promise.all(found.map((c) => index.touch(c.id, openid, c.updatedAt)));
}
