/**
 * The one edge where failures become what a client sees. Drivers throw errors in their own
 * words — `WechatError`, `LlmError`, `KbError`, `StoreError`, the chat gate's timeout — and
 * every transport (WS frames, HTTP replies) passes whatever it caught through here: one
 * catalogue reason per kind, and anything unknown is `internal_error` (its detail stays in
 * `cause`, for logs, never on the wire).
 */
import { GateTimeoutError } from '../chat/concurrency-gate.js';
import { KbError, type KbErrorKind } from '../knowledge-base/kb-error.js';
import { LimitExceededError, type LimitKind } from '../limits/limit-exceeded-error.js';
import { LlmError } from '../llm/llm-error.js';
import { TranscribeError, type TranscribeErrorKind } from '../media/transcribe-error.js';
import { StoreError } from '../store/store-error.js';
import { TtsError } from '../media/tts/tts-error.js';
import { WechatError, type WechatErrorKind } from '../wechat/wechat-error.js';
import { AppError, type ErrorReason } from './error-catalogue.js';

const WECHAT_REASONS: Record<WechatErrorKind, ErrorReason> = {
  busy: 'wechat_busy',
  code_invalid: 'wechat_code_invalid',
  code_used: 'wechat_code_used',
  rate_limited: 'login_rate_limited',
  user_blocked: 'wechat_user_blocked',
  config: 'wechat_config_error',
  timeout: 'wechat_timeout',
  failed: 'wechat_error',
};

const KB_REASONS: Record<KbErrorKind, ErrorReason> = {
  unsupported_type: 'kb_unsupported_type',
  empty_document: 'kb_empty_document',
  parse_failed: 'kb_parse_failed',
  too_large: 'kb_too_large',
  embedding_failed: 'kb_embedding_failed',
};

/** An IP's logins past its limit read like WeChat's own 45011: the same advice (wait a minute) holds. */
const LIMIT_REASONS: Record<LimitKind, ErrorReason> = {
  chat_rate: 'chat_rate_limited',
  token_quota: 'token_quota_exceeded',
  ip_login: 'login_rate_limited',
  ip_connection: 'ip_rate_limited',
  upload_rate: 'upload_rate_limited',
  upload_quota: 'upload_quota_exceeded',
  asr_quota: 'asr_quota_exceeded',
  tts_quota: 'tts_quota_exceeded',
};

const TRANSCRIBE_REASONS: Record<TranscribeErrorKind, ErrorReason> = {
  not_configured: 'asr_not_configured',
  timeout: 'asr_timeout',
  failed: 'asr_failed',
  garbage: 'asr_bad_response',
  empty: 'empty_transcript',
  unsupported_format: 'audio_unsupported',
};

/** Any thrown value → the AppError to send. AppErrors pass through unchanged. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const cause = { cause: error };
  if (error instanceof WechatError) return new AppError(WECHAT_REASONS[error.kind], undefined, cause);
  if (LimitExceededError.is(error)) {
    return new AppError(LIMIT_REASONS[error.kind], undefined, { cause: error, retryAfterSeconds: error.retryAfterSeconds });
  }
  if (error instanceof StoreError) return new AppError('store_unavailable', undefined, cause);
  if (error instanceof GateTimeoutError) return new AppError('server_busy', undefined, cause);
  if (TranscribeError.is(error)) return new AppError(TRANSCRIBE_REASONS[error.kind], undefined, cause);
  // A model that takes no images says so: the user can still ask in words.
  if (LlmError.is(error) && error.kind === 'vision_unsupported') return new AppError('vision_unsupported', undefined, cause);
  // Every model failure reads the same to a user, except waiting too long.
  if (LlmError.is(error)) return new AppError(error.kind === 'timeout' ? 'model_timeout' : 'model_error', undefined, cause);
  // A KbError's message is Chinese and names the file: operators see it as the detail.
  if (KbError.is(error)) return new AppError(KB_REASONS[error.kind], error.message, cause);
  if (TtsError.is(error)) return new AppError(error.kind === 'timeout' ? 'tts_timeout' : 'tts_error', undefined, cause);
  return new AppError('internal_error', undefined, cause);
}
