import type { RequestId } from '../protocol/client-messages.js';
import { historyResponseFrame, type ServerFrame, type WireSource } from '../protocol/server-frame.js';
import type { StoredMessage } from '../store/history-store.js';

/** `history_response`: the current conversation, oldest first, in wire (snake_case) shape. */
export function historyFrame(messages: StoredMessage[], requestId?: RequestId): ServerFrame {
  return historyResponseFrame(
    messages.map((m) => ({
      id: m.id,
      role: m.role,
      content: m.content,
      status: m.status,
      created_at: m.createdAt,
      ...(m.sources?.length ? { sources: m.sources } : {}),
      ...(m.attachments?.length ? { attachments: m.attachments.map((a) => ({ kind: a.kind, upload_id: a.uploadId })) } : {}),
    })),
    requestId,
  );
}
