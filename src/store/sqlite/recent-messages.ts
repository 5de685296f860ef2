import type { StoredMessage } from '../history-store.js';

interface Tail {
  /** the conversation's last messages, oldest first, at most `keep` */
  messages: StoredMessage[];
  /** true = these are all of the conversation's messages */
  whole: boolean;
}

/**
 * The last messages of the conversations read lately, kept in step with every commit: each chat
 * reads its conversation's recent turns for the prompt, right after storing its question, and
 * that read was the largest store cost on the path to the model (0.07 ms warm, 0.3–0.5 ms after
 * an idle moment). Written through at commit (`appended`), so a hit is what the table says; a
 * failed commit forgets everything (`reset`), a deleted conversation its own tail.
 *
 * Messages handed out are shared and frozen: readers never change a stored message.
 * Bounded: the least recently read conversation goes first.
 */
export class RecentMessages {
  readonly #tails = new Map<string, Tail>();

  constructor(
    /** messages kept per conversation; a longer read goes to the table */
    private readonly keep = 64,
    private readonly maxConversations = 10_000,
  ) {}

  /** The last `limit` messages, oldest first, or undefined when not known here. */
  get(openid: string, n: number, limit: number): StoredMessage[] | undefined {
    const key = keyOf(openid, n);
    const tail = this.#tails.get(key);
    if (!tail || (limit > tail.messages.length && !tail.whole)) return undefined;
    // most recently read last: the oldest entry is the first to go
    this.#tails.delete(key);
    this.#tails.set(key, tail);
    return tail.messages.slice(-limit);
  }

  /** How many messages a read should ask the table for, so that it can fill the tail. */
  readLimit(limit: number): number {
    return Math.max(limit, this.keep);
  }

  /** Remembers what the table returned for `readLimit(limit)` (oldest first). */
  fill(openid: string, n: number, messages: StoredMessage[], asked: number): void {
    if (asked < this.keep) return;
    if (this.#tails.size >= this.maxConversations) this.#tails.delete(this.#tails.keys().next().value!);
    this.#tails.set(keyOf(openid, n), { messages: messages.slice(-this.keep).map(freeze), whole: messages.length < asked });
  }

  /** A message just committed to conversation `n` (only a tail already known is extended). */
  appended(openid: string, n: number, message: StoredMessage): void {
    const tail = this.#tails.get(keyOf(openid, n));
    if (!tail) return;
    tail.messages.push(freeze(message));
    if (tail.messages.length > this.keep) {
      tail.messages.shift();
      tail.whole = false;
    }
  }

  /** The conversation's messages were deleted. */
  forget(openid: string, n: number): void {
    this.#tails.delete(keyOf(openid, n));
  }

  /** A commit failed: what it would have added is unknown, so nothing is kept. */
  reset(): void {
    this.#tails.clear();
  }
}

const keyOf = (openid: string, n: number): string => `${n}\u0000${openid}`;
const freeze = (message: StoredMessage): StoredMessage => Object.freeze(message);
