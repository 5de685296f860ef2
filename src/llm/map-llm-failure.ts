/**
 * The one mapping from "what went wrong with the model service" to `LlmError`, for both HTTP
 * clients of the chat driver (and the statuses of the embeddings client). Pure: the driver
 * tells it who aborted, since an abort looks the same from inside any HTTP client.
 */
import { LlmError, type LlmErrorKind } from './llm-error.js';
import { UpstreamFailure } from './upstream-failure.js';

export interface FailureContext {
  /** set when our own controller fired: the caller's signal, or one of our deadlines */
  abortedBy?: 'caller' | 'deadline' | 'first-token';
  /** redacted from any message we keep (some servers echo the key they rejected) */
  apiKey?: string;
  /** the request carried `tools`: a rejection may mean the model has no function calling */
  sentTools?: boolean;
  /** the request carried image parts: a rejection may mean the model takes no images */
  sentImages?: boolean;
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

export function mapLlmFailure(error: unknown, context: FailureContext = {}): LlmError {
  if (LlmError.is(error)) return error;
  // Our controller's reason beats whatever the client library made of the abort.
  if (context.abortedBy === 'caller') return new LlmError('aborted', 'model call aborted by caller');
  if (context.abortedBy === 'deadline') return new LlmError('timeout', 'model call exceeded its total deadline');
  if (context.abortedBy === 'first-token') return new LlmError('timeout', 'model sent no output before the first-token deadline');
  if (error instanceof UpstreamFailure) {
    // redacted before it is cut: a cut could leave half a key that redaction no longer recognises
    const detail = redact(error.detail, context.apiKey).slice(0, 300);
    switch (error.kind) {
      case 'aborted':
        return new LlmError('aborted', 'model call aborted');
      case 'connect-timeout':
        return new LlmError('timeout', 'model request timed out');
      case 'connect':
        // The cause is a network error (ECONNREFUSED, socket closed…): no request data, safe to keep.
        return new LlmError('upstream', `cannot reach model endpoint: ${detail}`, undefined, { cause: error.cause });
      case 'stream-error':
        return new LlmError('upstream', `model stream reported an error: ${detail}`);
      case 'status': {
        // No `cause` here: the service's body may quote our key.
        const status = error.status ?? 0;
        if (context.sentTools && refusesTools(status, detail)) {
          return new LlmError('tools_unsupported', `model endpoint refused tools (HTTP ${status}): ${detail}`, status);
        }
        if (context.sentImages && refusesImages(status, detail)) {
          return new LlmError('vision_unsupported', `model endpoint refused images (HTTP ${status}): ${detail}`, status);
        }
        return new LlmError(kindForStatus(status), `model endpoint answered HTTP ${status}: ${detail}`, status);
      }
    }
  }
  // a socket cut mid-stream, SyntaxError on a garbled SSE line, …
  const text = error instanceof Error ? `${error.name}: ${causeText(error)}` : String(error);
  return new LlmError('upstream', `model stream failed: ${redact(text, context.apiKey)}`);
}

/** An error's message and its cause's, for logs (bounded). */
export const causeText = (error: Error): string => {
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return `${error.message}${cause}`.slice(0, 300);
};

/**
 * The readable part of an error body: OpenAI's `{"error":{"message":…}}`, the top-level
 * `message` some servers (vLLM, FastAPI apps) send, else the text itself.
 */
export function bodyDetail(status: number, text: string): string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return text.trim() === '' ? `${status} status code (no body)` : text.slice(0, 300);
  }
  const body = json as { error?: unknown; message?: unknown } | null;
  if (body?.error !== undefined) return errorObjectDetail(body.error);
  if (typeof body?.message === 'string') return body.message;
  return text.slice(0, 300);
}

/** The `error` member of a body or stream event, as the SDK words it. */
export function errorObjectDetail(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  if (typeof message === 'string') return message;
  return JSON.stringify(message ?? error) ?? String(error);
}

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

/**
 * What servers answer when a request carries image parts the model cannot read (same caution
 * as for tools: a wrong key or an overflow must fail as it is).
 * - OpenAI: 400 "Invalid content type. image_url is only supported by certain models."
 * - Ollama: 400 "model does not support images" / vLLM: 400 "… is not a multimodal model"
 * - DeepSeek: 422/400 "Failed to deserialize the JSON body … unknown variant `image_url`, expected `text`"
 * - DashScope (text model): 400 "… does not support image input" / "url error" variants
 */
const IMAGES_REFUSED = [
  /\bnot support(ed)?\b.*\b(images?|image_url|vision|multimodal|multi-modal)\b/i,
  /\b(images?|image_url|vision)\b.*\b(not supported|unsupported|only supported by)\b/i,
  /\bnot a multi-?modal model\b/i,
  /unknown variant `?image_url`?/i,
  /invalid content type/i,
];

function refusesImages(status: number, detail: string): boolean {
  const rejectedRequest = status >= 400 && status < 500 && ![401, 403, 408, 429].includes(status);
  return rejectedRequest && IMAGES_REFUSED.some((pattern) => pattern.test(detail));
}
