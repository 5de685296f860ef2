import type { AnswerDelta, AnswerProgress, AnswerResult } from '../chat/answer-run.js';
import type { RequestId } from '../protocol/client-messages.js';
import { AppError } from '../protocol/error-catalogue.js';
import { errorFrame, frame, seedText, type ServerFrame } from '../protocol/server-messages.js';

/**
 * The frames of one answer, shared by the WebSocket and the HTTP event stream so both speak
 * exactly the same messages. `extended` is false for a client that uses only the seed's
 * fields: it then gets the seed's frames to the letter (e.g. `chat_processing.data: null`).
 */
export function processingFrame(answerId: string, extended: boolean, requestId?: RequestId): ServerFrame {
  return frame('chat_processing', seedText.processing, extended ? { id: answerId } : null, requestId);
}

export function deltaFrame(delta: AnswerDelta, requestId?: RequestId): ServerFrame<AnswerDelta> {
  return frame('chat_delta', '', delta, requestId);
}

/** `chat_progress` (stream clients): e.g. {stage: "searching", query} while auto RAG searches. */
export function progressFrame(progress: AnswerProgress, requestId?: RequestId): ServerFrame<AnswerProgress> {
  return frame('chat_progress', progress.stage === 'searching' ? '正在检索知识库...' : '', progress, requestId);
}

export function responseFrame(
  result: AnswerResult,
  sessionId: string | null,
  extended: boolean,
  requestId?: RequestId,
): ServerFrame {
  // sources only when there are some: a seed client asking without a knowledge base sees the seed's fields
  const base = {
    msg: result.text,
    id: result.id,
    session_id: sessionId,
    ...(result.sources && result.sources.length > 0 ? { sources: result.sources } : {}),
  };
  if (result.status === 'failed') {
    return errorFrame(result.error ?? new AppError('internal_error'), requestId, 'chat_response', base);
  }
  const data = extended ? { ...base, status: result.status, usage: result.usage ?? null } : base;
  return frame('chat_response', seedText.chatOk, data, requestId);
}
