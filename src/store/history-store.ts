import type { TokenUsage } from '../llm/chat-model.js';

/**
 * Conversation history, per user (openid). The port every driver (SQLite, Redis) implements and
 * `history-store.contract.ts` verifies against the real backend.
 *
 * A user has one *current* conversation; `clear` starts a new one (old turns are kept for
 * audit but no longer returned). Messages are append-only.
 */

export type MessageStatus =
  | 'complete' // a finished answer, or any user message
  | 'cancelled' // the user stopped the answer: content is the partial text
  | 'failed'; // the model failed mid-answer: content is what arrived before the failure

export interface StoredMessage {
  /** unique, assigned by the caller (the chat service uses it as the answer `id` on the wire) */
  id: string;
  role: 'user' | 'assistant';
  content: string;
  status: MessageStatus;
  /** epoch milliseconds */
  createdAt: number;
  /** answers only */
  usage?: TokenUsage;
  /** answers only: free-form extra data (sources, model name…) kept as JSON */
  meta?: Record<string, unknown>;
}

export interface HistoryStore {
  /** Appends to the user's current conversation. Idempotent per message id. */
  append(openid: string, message: StoredMessage): Promise<void>;
  /** The last `limit` messages of the current conversation, oldest first. */
  listRecent(openid: string, limit: number): Promise<StoredMessage[]>;
  /** Starts a new, empty conversation for the user. */
  clear(openid: string): Promise<void>;
  /** Health probe: resolves when the backend answers. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
