import type { Asker } from '../chat/chat-service.js';
import type { ConversationService } from '../chat/conversation-service.js';
import type { ClientMessage, RequestId } from '../protocol/client-messages.js';
import {
  conversationsResponseFrame,
  deleteConversationResponseFrame,
  feedbackResponseFrame,
  type ServerFrame,
  type WireRating,
} from '../protocol/server-frame.js';
import { historyFrame } from './history-frame.js';

/**
 * The replies to the conversation requests, built once for the WebSocket (sent as frames) and
 * HTTP (sent as their bodies). Each throws what the client should see (AppError, StoreError).
 */

/** The default page of `conversations`: a phone screen or two of titles. */
export const DEFAULT_CONVERSATIONS_PAGE = 20;

export async function historyReply(
  conversations: ConversationService,
  openid: string,
  request: { limit: number; conversationId?: string | undefined },
  rid?: RequestId,
): Promise<ServerFrame> {
  return historyFrame(await conversations.read(openid, request.limit, request.conversationId), rid);
}

export async function conversationsReply(
  conversations: ConversationService,
  openid: string,
  request: { limit?: number | undefined; before?: string | undefined },
  rid?: RequestId,
): Promise<ServerFrame> {
  const page = await conversations.list(openid, { limit: request.limit ?? DEFAULT_CONVERSATIONS_PAGE, before: request.before });
  const items = page.items.map((c) => ({ conversation_id: c.id, title: c.title, updated_at: c.updatedAt, message_count: c.messageCount }));
  return conversationsResponseFrame(page.nextCursor === undefined ? { conversations: items } : { conversations: items, next_cursor: page.nextCursor }, rid);
}

export async function deleteConversationReply(
  conversations: ConversationService,
  asker: Asker,
  conversationId: string,
  rid?: RequestId,
): Promise<ServerFrame> {
  await conversations.delete(asker, conversationId);
  return deleteConversationResponseFrame(conversationId, rid);
}

export async function feedbackReply(
  conversations: ConversationService,
  openid: string,
  request: { id: string; rating: WireRating; comment?: string | undefined },
  rid?: RequestId,
): Promise<ServerFrame> {
  const feedback = await conversations.rate(openid, request.id, request.rating, request.comment);
  return feedbackResponseFrame(feedback.answerId, feedback.rating, rid);
}

/** The WebSocket messages answered here. */
export type ConversationRequest = Extract<ClientMessage, { type: 'history' | 'conversations' | 'delete_conversation' | 'feedback' }>;

/** The reply to one of those WebSocket messages (`historyLimit`: `history` without `limit`). */
export function conversationReply(conversations: ConversationService, asker: Asker, message: ConversationRequest, historyLimit: number): Promise<ServerFrame> {
  const rid = message.request_id;
  switch (message.type) {
    case 'history':
      return historyReply(conversations, asker.openid, { limit: message.limit ?? historyLimit, conversationId: message.conversation_id }, rid);
    case 'conversations':
      return conversationsReply(conversations, asker.openid, message, rid);
    case 'delete_conversation':
      return deleteConversationReply(conversations, asker, message.conversation_id, rid);
    case 'feedback':
      return feedbackReply(conversations, asker.openid, message, rid);
  }
}
