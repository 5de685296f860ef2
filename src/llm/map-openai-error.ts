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
  /** the request carried `tools`: a rejection may mean the model has no function calling */
  sentTools?: boolean;
}

/** Retryable statuses, the same for every model service (see retry-policy.ts). */
export function kindForStatus(status: number): LlmErrorKind {
  if (status === 429) return 'rate_limited';
  if (status === 408) return 'timeout';
  if (status >= 500) return 'upstream';
  return 'bad_request';
}

/** Removes the key (and anything bearer-looking) from text a service sent back. */
export const redact = (text: string, apiKey?: string): string => {
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
    if (context.sentTools && refusesTools(error.status, detail)) {
      return new LlmError('tools_unsupported', `model endpoint refused tools (HTTP ${error.status}): ${detail}`, error.status);
    }
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
 * What servers answer when a request carries `tools` the model cannot use. Only these count:
 * a wrong key (401), a bad message (400 "Missing `reasoning_content`…") or a context overflow
 * must fail as they are, not be taken for "no function calling" and sent again without tools.
 * - Ollama: 400 "llama2 does not support tools"
 * - DeepSeek: 400 "deepseek-reasoner does not support Function Calling"
 * - OpenAI: 400 "Unsupported parameter: 'tools' is not supported with this model."
 * - Azure / older OpenAI-compatible: 400 "Unrecognized request argument supplied: tools"
 * - vLLM: 400 "\"auto\" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set"
 * - llama.cpp server: 500 "tools param requires --jinja flag"
 */
const TOOLS_REFUSED = [
  /\bnot support(ed)?\b.*\b(tools?|function[ _-]?call(ing|s)?|functions?)\b/i,
  /\b(tools?|function[ _-]?call(ing|s)?|functions?)\b.*\b(not supported|unsupported|not enabled)\b/i,
  /\b(tools?|tool[ _]choice)\b.*\brequires\b/i,
  /\bunrecognized request argument supplied: (tools|functions)\b/i,
];

function refusesTools(status: number, detail: string): boolean {
  const rejectedRequest = (status >= 400 && status < 500 && ![401, 403, 408, 429].includes(status)) || status === 500 || status === 501;
  return rejectedRequest && TOOLS_REFUSED.some((pattern) => pattern.test(detail));
}
