import type { Embedder } from './embedder.js';
import { EmbeddingError } from './embedding-error.js';

export interface OpenAiCompatibleEmbedderOptions {
  /** e.g. https://api.siliconflow.cn/v1 — POST {baseUrl}/embeddings is called */
  baseUrl: string;
  apiKey?: string;
  model: string;
  /** Inputs per request. Most services accept 64–2048; 32 stays under common token caps. */
  batchSize?: number;
  /** Attempts after the first for 408/429/5xx/network errors. */
  maxRetries?: number;
  /** Per request, milliseconds. */
  timeoutMs?: number;
  /** Backoff base and cap, milliseconds; a Retry-After header wins when present (up to the cap). */
  retryBaseMs?: number;
  retryMaxMs?: number;
  fetch?: typeof fetch;
}

/**
 * Any OpenAI-compatible `/v1/embeddings` (OpenAI, SiliconFlow, Zhipu, DashScope compatible
 * mode, Ollama, vLLM, text-embeddings-inference…). Sends batches one after another; retries
 * only what can succeed later, with exponential backoff, full jitter and Retry-After.
 *
 * @example
 * const embedder = createOpenAiCompatibleEmbedder({ baseUrl: 'http://localhost:11434/v1', model: 'bge-m3' });
 * const [v] = await embedder.embed(['socket 合法域名']);
 */
export function createOpenAiCompatibleEmbedder(options: OpenAiCompatibleEmbedderOptions): Embedder {
  const url = `${options.baseUrl.replace(/\/+$/, '')}/embeddings`;
  const batchSize = options.batchSize ?? 32;
  const maxRetries = options.maxRetries ?? 4;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const baseMs = options.retryBaseMs ?? 500;
  const maxMs = options.retryMaxMs ?? 20_000;
  const doFetch = options.fetch ?? fetch;

  async function request(input: readonly string[], signal?: AbortSignal): Promise<Float32Array[]> {
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
      if (signal?.aborted) throw error;
      const what = timeout.aborted ? `no answer within ${timeoutMs} ms` : (error as Error).message;
      throw new EmbeddingError(`embedding request failed: ${what}`, undefined, { cause: error });
    }
    if (!response.ok) {
      const detail = (await response.text().catch(() => '')).slice(0, 300);
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
      throw new EmbeddingError(`embedding service answered ${response.status}: ${detail}`, response.status, {
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      });
    }
    const body = (await response.json().catch(() => undefined)) as
      | { data?: Array<{ embedding?: unknown; index?: number }> }
      | undefined;
    const data = body?.data;
    if (!Array.isArray(data) || data.length !== input.length) {
      throw new EmbeddingError(`embedding service returned ${Array.isArray(data) ? data.length : 'no'} vectors for ${input.length} inputs`, 502);
    }
    const vectors: Float32Array[] = new Array(input.length);
    data.forEach((item, position) => {
      if (!Array.isArray(item.embedding)) throw new EmbeddingError('embedding service returned a non-float vector', 502);
      vectors[typeof item.index === 'number' ? item.index : position] = Float32Array.from(item.embedding as number[]);
    });
    return vectors;
  }

  async function withRetries(input: readonly string[], signal?: AbortSignal): Promise<Float32Array[]> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await request(input, signal);
      } catch (error) {
        if (!(error instanceof EmbeddingError) || !error.isRetryable || attempt >= maxRetries) throw error;
        const delay = Math.min(maxMs, error.retryAfterMs ?? Math.random() * baseMs * 2 ** attempt);
        await sleep(delay, signal);
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

/** Retry-After is either delta-seconds or an HTTP date. */
function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
