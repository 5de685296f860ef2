/**
 * A failed exchange with a model service, in neutral words, before it becomes an `LlmError`.
 * Both HTTP clients report in this shape — the lean one (http-chat-stream.ts) directly, the
 * `openai` SDK through `fromOpenAiError` — so one function (`mapLlmFailure`) decides kinds,
 * retries and redaction for both.
 *
 * `detail` is the service's text as it came (it may quote our key): it is redacted by the
 * mapping and is deliberately not the error's `message`.
 */
export type UpstreamFailureKind =
  | 'status' // a non-2xx answer
  | 'stream-error' // an `{ "error": … }` event inside a 200 stream
  | 'connect' // no answer: refused, reset, DNS, TLS…
  | 'connect-timeout' // the client library's own timeout (the SDK's)
  | 'aborted'; // the request was aborted, by nobody we know of

export class UpstreamFailure extends Error {
  override readonly name = 'UpstreamFailure';
  constructor(
    readonly kind: UpstreamFailureKind,
    readonly detail: string,
    readonly status?: number,
    /** what the answer's Retry-After / retry-after-ms asked for, ms */
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(status === undefined ? `model service failure: ${kind}` : `model service answered HTTP ${status}`, options);
  }
}
