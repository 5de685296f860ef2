import { LlmError } from '../../llm/llm-error.js';
import { kindForStatus, redact } from '../../llm/map-llm-failure.js';
import { retryAfterMs, retryDelay, waitToRetry, type RetryPolicy } from '../../llm/retry-policy.js';
import type { Embedder } from './embedder.js';

export interface OpenAiCompatibleEmbedderOptions {
  /** e.g. https://api.siliconflow.cn/v1 — POST {baseUrl}/embeddings is called */
  baseUrl: string;
  apiKey?: string;
  model: string;
  /** Inputs per request. Most services accept 64–2048; 32 stays under common token caps. */
  batchSize?: number;
  /** Attempts after the first for 408/429/5xx/network errors. Default 4. */
  maxRetries?: number;
  /** Per request, milliseconds. Default 30 000. */
  timeoutMs?: number;
  /** Backoff base and cap, milliseconds (defaults 500 and 20 000); a longer Retry-After gives up. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  fetch?: typeof fetch;
}

/**
 * Any OpenAI-compatible `/v1/embeddings` (OpenAI, SiliconFlow, Zhipu, DashScope compatible
 * mode, Ollama, vLLM, text-embeddings-inference…). Sends batches one after another; retries
 * and error kinds are the chat driver's (llm/retry-policy.ts, `kindForStatus`), so a 429 or
 * a wrong key means the same thing for both. Failures are `LlmError`s, secrets redacted.
 *
 * @example
 * const embedder = createOpenAiCompatibleEmbedder({ baseUrl: 'http://localhost:11434/v1', model: 'bge-m3' });
 * const [v] = await embedder.embed(['socket 合法域名']);
 */
export function createOpenAiCompatibleEmbedder(options: OpenAiCompatibleEmbedderOptions): Embedder {
  const url = `${options.baseUrl.replace(/\/+$/, '')}/embeddings`;
  const batchSize = options.batchSize ?? 32;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const policy: RetryPolicy = {
    maxRetries: options.maxRetries ?? 4,
    baseDelayMs: options.retryBaseMs ?? 500,
    maxDelayMs: options.retryMaxMs ?? 20_000,
  };
  const doFetch = options.fetch ?? fetch;

  /** One HTTP request; records the Retry-After of a refusal for the loop below. */
  async function request(input: readonly string[], signal: AbortSignal | undefined, state: { retryAfterMs?: number }) {
    const timeout = AbortSignal.timeout(timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let response: Response;
    try {
      response = await doFetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
        },
        body: JSON.stringify({ model: options.model, input, encoding_format: 'float' }),
        signal: combined,
      });
    } catch (error) {
      if (signal?.aborted) throw new LlmError('aborted', 'embedding request aborted by caller');
      if (timeout.aborted) throw new LlmError('timeout', `embedding request failed: no answer within ${timeoutMs} ms`);
      const what = redact((error as Error).message, options.apiKey);
      throw new LlmError('upstream', `embedding request failed: ${what}`, undefined, { cause: error });
    }
    if (!response.ok) {
      const detail = redact((await response.text().catch(() => '')).slice(0, 300), options.apiKey);
      state.retryAfterMs = retryAfterMs(response.headers);
      throw new LlmError(kindForStatus(response.status), `embedding service answered ${response.status}: ${detail}`, response.status);
    }
    const body = (await response.json().catch(() => undefined)) as
      | { data?: Array<{ embedding?: unknown; index?: number }> }
      | undefined;
    const data = body?.data;
    if (!Array.isArray(data) || data.length !== input.length) {
      const count = Array.isArray(data) ? data.length : 'no';
      throw new LlmError('upstream', `embedding service returned ${count} vectors for ${input.length} inputs`);
    }
    const vectors: Float32Array[] = new Array(input.length);
    data.forEach((item, position) => {
      if (!Array.isArray(item.embedding)) throw new LlmError('upstream', 'embedding service returned a non-float vector');
      vectors[typeof item.index === 'number' ? item.index : position] = Float32Array.from(item.embedding as number[]);
    });
    return vectors;
  }

  async function withRetries(input: readonly string[], signal?: AbortSignal): Promise<Float32Array[]> {
    for (let attempt = 0; ; attempt++) {
      const state: { retryAfterMs?: number } = {};
      try {
        return await request(input, signal, state);
      } catch (error) {
        if (!LlmError.is(error) || !error.isRetryable) throw error;
        const wait = retryDelay(policy, attempt, state.retryAfterMs);
        if (wait === undefined) throw error;
        await waitToRetry(wait, signal);
      }
    }
  }

  return {
    model: `openai-compatible:${options.model}`,
    async embed(texts, opts = {}) {
      const out: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += batchSize) {
        out.push(...(await withRetries(texts.slice(i, i + batchSize), opts.signal)));
      }
      return out;
    },
  };
}
