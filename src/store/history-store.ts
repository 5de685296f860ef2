import type { TokenUsage } from '../llm/chat-model.js';

/**
 * Conversation history, per user (openid). The port every driver (SQLite, Redis) implements and
 * `history-store.contract.ts` verifies against the real backend.
 *
 * A user has several conversations and one *current* one: `clear` starts a new current
 * conversation and keeps the old ones (listed by `listConversations`, readable and continuable
 * by id). Messages are append-only; only `deleteConversation` removes them.
 *
 * Conversation ids are opaque strings, unique across all users (the admin console addresses a
 * conversation by its id alone), and never reused. Every method taking a conversation id treats
 * another user's id exactly like an unknown one: nobody learns that it exists.
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
  /** questions only: uploads asked about (images, or the voice recording a question was transcribed from) */
  attachments?: StoredAttachment[];
}

/** An upload a question refers to; the bytes live in the upload store and expire there, the reference stays. */
export interface StoredAttachment {
  kind: 'image' | 'audio';
  /** the upload id (`POST /wechat/upload`) */
  uploadId: string;
}

/** One conversation of a user, as the conversation list shows it. */
export interface ConversationSummary {
  id: string;
  /** the first question that was not blocked, shortened to at most 30 characters (with "…"); '' until there is one */
  title: string;
  /** epoch milliseconds of the first and of the latest append */
  createdAt: number;
  updatedAt: number;
  messageCount: number;
}

export interface ConversationPage {
  /** newest `updatedAt` first; conversations without messages are never listed */
  items: ConversationSummary[];
  /** pass back as `before` for the next page; absent on the last page */
  nextCursor?: string;
}

/** Thrown by `append` to a conversation id that is unknown, deleted or another user's. */
export class ConversationNotFoundError extends Error {
  constructor(readonly conversationId: string) {
    super(`conversation not found: ${conversationId}`);
    this.name = 'ConversationNotFoundError';
  }
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
  /**
   * Appends to the given conversation, or the current one (created on first use) when
   * `conversationId` is absent. Idempotent per message id within a conversation. Rejects
   * with `ConversationNotFoundError` for an id that is not one of the user's conversations.
   * Resolves with the id of the conversation appended to (a chat that names none learns it here).
   */
  append(openid: string, message: StoredMessage, conversationId?: string): Promise<string>;
  /** The last `limit` messages of the given (default: current) conversation, oldest first; [] when unknown. */
  listRecent(openid: string, limit: number, conversationId?: string): Promise<StoredMessage[]>;
  /**
   * The user's current conversation — created (empty, unlisted) when there is none, as
   * `currentConversation` — and its last `limit` messages, oldest first: where a chat that
   * names no conversation starts, in one store call.
   */
  openCurrent(openid: string, limit: number): Promise<{ conversationId: string; recent: StoredMessage[] }>;
  /** Starts a new, empty current conversation for the user; the old one stays listed. */
  clear(openid: string): Promise<void>;
  /** The id of the user's current conversation, creating it (empty, unlisted) when there is none. */
  currentConversation(openid: string): Promise<string>;
  /** Makes an earlier conversation current again (the user continues it); false when not the user's. */
  openConversation(openid: string, conversationId: string): Promise<boolean>;
  /** The user's conversations, newest first, `limit` (1…100) per page. */
  listConversations(openid: string, page: { limit: number; before?: string }): Promise<ConversationPage>;
  /** Deletes a conversation and its messages for good; false when not the user's. Deleting the current one makes the next append start a new one. */
  deleteConversation(openid: string, conversationId: string): Promise<boolean>;
  /** A message of any of the user's conversations, by id, with the conversation it is in. */
  findMessage(openid: string, messageId: string): Promise<{ message: StoredMessage; conversationId: string } | undefined>;
  /** Health probe: resolves when the backend answers. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
