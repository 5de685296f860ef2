import type { RedisClient } from './create-redis-client.js';

/** How often, at most, an instance drops expired entries from the global index (ms). */
const PRUNE_EVERY_MS = 60_000;
/** Entries dropped per command, so one command never holds Redis for long. */
const PRUNE_BATCH = 1_000;

/**
 * The global conversation index the admin console reads (every user's conversations, newest
 * first, or by date range), kept beside the per-user keys of redis-history-store.ts:
 * - `{prefix}conv:all`   — sorted set conversation id → updatedAt (epoch ms)
 * - `{prefix}conv:owner` — hash conversation id → openid; the messages are then under
 *                          `{prefix}hist:{openid}:conv` (summary, with its number n) and `…:{n}:msgs`
 *
 * Cluster caveat: these keys are not under a user's hash tag, so they live in other slots than
 * the user's keys and can't be written by the per-user scripts. They are written by separate
 * commands right after the script succeeded: a crash in between can leave the index one append
 * behind (the next append repairs it). Off a cluster the append script writes them itself, in
 * its round trip (redis-history-scripts.ts), and `touch` is left to the adoption of old users. An entry pointing to a conversation that is gone is to
 * be skipped by readers. With retention set, entries older than it are dropped here at most once
 * a minute per instance (the conversations themselves expire in the per-user keys).
 */
export class RedisConversationIndex {
  readonly #all: string;
  readonly #owner: string;
  #prunedAt = 0;

  constructor(
    private readonly client: RedisClient,
    prefix: string,
    private readonly retainMs: number,
  ) {
    this.#all = `${prefix}conv:all`;
    this.#owner = `${prefix}conv:owner`;
  }

  /**
   * Records a conversation's latest append; the owner is written every time, so a missed write
   * heals. Never rejects: the message is stored by then, and failing its append over the admin
   * index would have the caller treat a stored message as lost.
   */
  async touch(conversationId: string, openid: string, updatedAt: number): Promise<void> {
    await Promise.all([this.client.zadd(this.#all, updatedAt, conversationId), this.client.hset(this.#owner, conversationId, openid)]).catch(
      () => {},
    );
    this.housekeep();
  }

  /**
   * After an append that updated the index itself (the append script does, off a cluster):
   * drops expired entries now and then. In the background: housekeeping is no reason to delay
   * an answer; a failed prune is retried a minute later.
   */
  housekeep(): void {
    this.#maybePrune().catch(() => {});
  }

  /** Never rejects, as touch: the conversation is deleted by then; a leftover entry points to nothing. */
  async remove(conversationId: string): Promise<void> {
    await Promise.all([this.client.zrem(this.#all, conversationId), this.client.hdel(this.#owner, conversationId)]).catch(() => {});
  }

  async #maybePrune(): Promise<void> {
    const now = Date.now();
    if (this.retainMs <= 0 || now - this.#prunedAt < PRUNE_EVERY_MS) return;
    this.#prunedAt = now;
    const cutoff = `(${now - this.retainMs}`;
    for (;;) {
      const stale = await this.client.zrangebyscore(this.#all, '-inf', cutoff, 'LIMIT', 0, PRUNE_BATCH);
      if (stale.length === 0) return;
      // Not atomic with touch (other slots, no script): an entry appended to in between is
      // dropped too, and its next append puts it back.
      await Promise.all([this.client.zrem(this.#all, ...stale), this.client.hdel(this.#owner, ...stale)]);
      if (stale.length < PRUNE_BATCH) return;
    }
  }
}
