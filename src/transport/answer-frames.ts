import type { AnswerResult } from '../chat/answer-run.js';
import type { RequestId } from '../protocol/client-messages.js';
import { AppError } from '../protocol/error-catalogue.js';
import { chatErrorFrame, chatResponseFrame, processingFrame, type AnswerData, type ServerFrame } from '../protocol/server-frame.js';

/**
 * The frames of one answer that depend on what the client speaks, shared by the WebSocket and
 * the HTTP event stream so both send exactly the same messages. `extended` is false for a
 * client that uses only the seed's fields: it then gets the seed's frames to the letter
 * (`chat_processing.data: null`, `chat_response.data` without status/usage/conversation_id).
 * `withConversation` (default: `extended`) adds `conversation_id`, for an HTTP caller that
 * named a conversation but otherwise gets the seed's body.
 */
export function answerProcessingFrame(answerId: string, extended: boolean, requestId?: RequestId): ServerFrame {
  return processingFrame(extended ? { id: answerId } : null, requestId);
}

export function answerResponseFrame(
  result: AnswerResult,
  sessionId: string | null,
  extended: boolean,
  requestId?: RequestId,
  withConversation = extended,
): ServerFrame {
  // sources only when there are some: a seed client asking without a knowledge base sees the seed's fields
  const base: AnswerData = {
    msg: result.text,
    id: result.id,
    session_id: sessionId,
    ...(withConversation && result.conversationId !== undefined ? { conversation_id: result.conversationId } : {}),
    ...(result.sources && result.sources.length > 0 ? { sources: result.sources } : {}),
  };
  if (result.status === 'failed') return chatErrorFrame(result.error ?? new AppError('internal_error'), base, requestId);
  const data: AnswerData = extended ? { ...base, status: result.status, usage: result.usage ?? null } : base;
  return chatResponseFrame(data, requestId);
}
