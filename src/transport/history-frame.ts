import type { ConversationView } from '../chat/conversation-service.js';
import type { RequestId } from '../protocol/client-messages.js';
import { historyResponseFrame, type ServerFrame } from '../protocol/server-frame.js';

/**
 * `history_response`: one conversation, oldest first, in wire (snake_case) shape, with the
 * conversation's id and the user's rating on each answer they rated.
 */
export function historyFrame(view: ConversationView, requestId?: RequestId): ServerFrame {
  return historyResponseFrame(
    view.messages.map((m) => {
      const rating = m.role === 'assistant' ? view.ratings.get(m.id)?.rating : undefined;
      return {
        id: m.id,
        role: m.role,
        content: m.content,
        status: m.status,
        created_at: m.createdAt,
        ...(m.sources?.length ? { sources: m.sources } : {}),
        ...(rating ? { rating } : {}),
        ...(m.attachments?.length ? { attachments: m.attachments.map((a) => ({ kind: a.kind, upload_id: a.uploadId })) } : {}),
      };
    }),
    requestId,
    view.conversationId,
  );
}
