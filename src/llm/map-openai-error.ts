/**
 * Translates what the `openai` SDK (or fetch under it) threw into our words: SDK errors become
 * `UpstreamFailure`s, then the one mapping every model client shares (`mapLlmFailure`) decides.
 * Loaded only with the SDK client (the default lean client never imports the SDK).
 */
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type { LlmError } from './llm-error.js';
import { causeText, errorObjectDetail, mapLlmFailure, type FailureContext } from './map-llm-failure.js';
import { retryAfterMs } from './retry-policy.js';
import { UpstreamFailure } from './upstream-failure.js';

export { kindForStatus, redact } from './map-llm-failure.js';
export type OpenAiErrorContext = FailureContext;

/** SDK errors as `UpstreamFailure`; anything else unchanged. */
export function fromOpenAiError(error: unknown): unknown {
  if (error instanceof APIUserAbortError) return new UpstreamFailure('aborted', error.message);
  if (error instanceof APIConnectionTimeoutError) return new UpstreamFailure('connect-timeout', error.message);
  if (error instanceof APIConnectionError) {
    return new UpstreamFailure('connect', causeText(error), undefined, undefined, { cause: error.cause });
  }
  if (error instanceof APIError) {
    // `error.error` is the body's `error` member (or a stream event's); else the SDK's own message
    const detail = error.error !== undefined && error.error !== null ? errorObjectDetail(error.error) : error.message;
    const retryAfter = retryAfterMs(error.headers);
    return error.status === undefined
      ? new UpstreamFailure('stream-error', detail, undefined, retryAfter)
      : new UpstreamFailure('status', detail, error.status, retryAfter);
  }
  return error;
}

export function mapOpenAiError(error: unknown, context: OpenAiErrorContext = {}): LlmError {
  return mapLlmFailure(fromOpenAiError(error), context);
}
