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
  | 'failed' // the model failed mid-answer: content is what arrived before the failure
  | 'blocked' // a question content security stopped before the model: never sent to it again
  | 'retracted'; // an answer content security withdrew: content is the safe notice, never the risky text

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
  /** answers only: the model that wrote it (`ChatModel.name`); absent in offline mode */
  model?: string;
  /** answers only: the knowledge-base passages it was grounded on, most relevant first */
  sources?: StoredSource[];
  /**
   * Set when content security stopped the message (status 'blocked' or 'retracted'); such turns
   * never go into a later prompt. `label` is the checker's reason, for operators only.
   */
  flagged?: { label: string };
}

/** A cited passage, exactly as clients see it in `chat_response.data.sources`. */
export interface StoredSource {
  title: string;
  /** the document's name, e.g. "售后政策.md" */
  source: string;
  snippet: string;
  /** 0…1 relevance */
  score: number;
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
