import type { AdminConversation, AdminMessage, ExportedMessage, RatedAnswer, UsageCounts } from '../../admin/admin-store.js';
import { csvLine } from '../../admin/csv-cell.js';

/**
 * The admin API's JSON shapes: snake_case like the rest of the wire, times as epoch
 * milliseconds (`created_at`, as in `history_response`).
 */

export function conversationWire(c: AdminConversation) {
  return {
    conversation_id: c.conversationId,
    openid: c.openid,
    title: c.title,
    created_at: c.createdAt,
    updated_at: c.updatedAt,
    message_count: c.messageCount,
    ...(c.snippet !== undefined && { snippet: c.snippet }),
  };
}

export function messageWire(m: AdminMessage) {
  return {
    id: m.id,
    role: m.role,
    content: m.content,
    status: m.status,
    created_at: m.createdAt,
    ...(m.usage && {
      usage: { prompt_tokens: m.usage.promptTokens, completion_tokens: m.usage.completionTokens, total_tokens: m.usage.totalTokens },
    }),
    ...(m.model !== undefined && { model: m.model }),
    ...(m.sources?.length && { sources: m.sources }),
    ...(m.flagged && { flagged: { label: m.flagged.label } }),
    ...(m.attachments?.length && { attachments: m.attachments.map((a) => ({ kind: a.kind, upload_id: a.uploadId })) }),
    ...(m.rating && {
      rating: { rating: m.rating.rating, ...(m.rating.comment !== undefined && { comment: m.rating.comment }), rated_at: m.rating.ratedAt },
    }),
  };
}

export function exportedWire(m: ExportedMessage) {
  return { conversation_id: m.conversationId, openid: m.openid, ...messageWire(m) };
}

export function countsWire(c: UsageCounts) {
  return { chats: c.chats, tokens_in: c.tokensIn, tokens_out: c.tokensOut, errors: c.errors, blocked: c.blocked };
}

export function ratedAnswerWire(r: RatedAnswer) {
  return {
    answer_id: r.answerId,
    conversation_id: r.conversationId,
    openid: r.openid,
    rating: r.rating,
    ...(r.comment !== undefined && { comment: r.comment }),
    rated_at: r.ratedAt,
    question: r.question,
    answer: r.answer,
    answer_status: r.answerStatus,
    answered_at: r.answeredAt,
    ...(r.model !== undefined && { model: r.model }),
    sources: r.sources,
  };
}

export const CSV_HEADER = csvLine([
  'conversation_id', 'openid', 'message_id', 'role', 'status', 'created_at', 'created_at_ms', 'content',
  'model', 'prompt_tokens', 'completion_tokens', 'flagged', 'rating', 'comment', 'sources', 'attachments',
]);

/** One export row as CSV; `created_at` in Beijing time (what the operator's Excel should show). */
export function exportedCsv(m: ExportedMessage): string {
  return csvLine([
    m.conversationId,
    m.openid,
    m.id,
    m.role,
    m.status,
    beijingTime(m.createdAt),
    m.createdAt,
    m.content,
    m.model,
    m.usage?.promptTokens,
    m.usage?.completionTokens,
    m.flagged?.label,
    m.rating?.rating,
    m.rating?.comment,
    m.sources?.map((s) => `${s.source}#${s.title}`).join('; '),
    m.attachments?.map((a) => `${a.kind}:${a.uploadId}`).join('; '),
  ]);
}

/** `2026-12-01 08:00:00` in Asia/Shanghai. */
export function beijingTime(ms: number): string {
  return new Date(ms + 8 * 3_600_000).toISOString().replace('T', ' ').slice(0, 19);
}
