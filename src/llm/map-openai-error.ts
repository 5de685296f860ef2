/**
 * Translates whatever the `openai` SDK (or fetch under it) threw into an `LlmError`.
 * Pure: the driver tells it who aborted, since an abort looks the same from inside the SDK.
 */
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { LlmError, type LlmErrorKind } from './llm-error.js';

export interface OpenAiErrorContext {
  /** set when our own controller fired: the caller's signal, or one of our deadlines */
  abortedBy?: 'caller' | 'deadline' | 'first-token';
  /** redacted from any message we keep (some servers echo the key they rejected) */
  apiKey?: string;
}

export function kindForStatus(status: number): LlmErrorKind {
  if (status === 429) return 'rate_limited';
  if (status === 408) return 'timeout';
  if (status >= 500) return 'upstream';
  return 'bad_request';
}

const redact = (text: string, apiKey?: string): string => {
  const cleaned = apiKey && apiKey.length >= 4 ? text.split(apiKey).join('[redacted]') : text;
  // Also any other bearer-looking secret a proxy might quote back.
  return cleaned.replace(/\b(sk-|Bearer )[\w.-]{8,}/g, '$1[redacted]');
};

export function mapOpenAiError(error: unknown, context: OpenAiErrorContext = {}): LlmError {
  if (LlmError.is(error)) return error;
  // Our controller's reason beats the SDK's class: a deadline abort surfaces as APIUserAbortError.
  if (context.abortedBy === 'caller') return new LlmError('aborted', 'model call aborted by caller');
  if (context.abortedBy === 'deadline') return new LlmError('timeout', 'model call exceeded its total deadline');
  if (context.abortedBy === 'first-token') return new LlmError('timeout', 'model sent no output before the first-token deadline');
  if (error instanceof APIUserAbortError) return new LlmError('aborted', 'model call aborted');
  if (error instanceof APIConnectionTimeoutError) return new LlmError('timeout', 'model request timed out');
  if (error instanceof APIConnectionError) {
    // The cause is a network error (ECONNREFUSED, socket closed…): no request data, safe to keep.
    return new LlmError('upstream', `cannot reach model endpoint: ${redact(causeText(error), context.apiKey)}`, undefined, {
      cause: error.cause,
    });
  }
  if (error instanceof APIError) {
    // No `cause` here: an APIError carries the vendor's body, which may quote our key.
    const detail = redact(vendorMessage(error), context.apiKey);
    if (error.status === undefined) return new LlmError('upstream', `model stream reported an error: ${detail}`);
    return new LlmError(kindForStatus(error.status), `model endpoint answered HTTP ${error.status}: ${detail}`, error.status);
  }
  // fetch's TypeError('terminated') on a cut socket, SyntaxError on a garbled SSE line, …
  const text = error instanceof Error ? `${error.name}: ${causeText(error)}` : String(error);
  return new LlmError('upstream', `model stream failed: ${redact(text, context.apiKey)}`);
}

const vendorMessage = (error: APIError): string => {
  const body = error.error as { message?: unknown } | undefined;
  const text = typeof body?.message === 'string' ? body.message : error.message;
  return text.slice(0, 300);
};

const causeText = (error: Error): string => {
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return `${error.message}${cause}`.slice(0, 300);
};

/**
 * Milliseconds a 429/503 asked us to wait: `retry-after-ms`, `Retry-After` seconds or HTTP date.
 * Undefined when absent or unparseable, so the caller falls back to its backoff.
 */
export function retryAfterMs(headers: Headers | undefined, now = Date.now()): number | undefined {
  const ms = Number.parseFloat(headers?.get('retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers?.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number.parseFloat(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
