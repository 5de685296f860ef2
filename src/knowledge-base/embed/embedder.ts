/**
 * The embedding port: text in, vectors out. Optional — without one the knowledge base is
 * BM25 only. Vectors are stored per `model`, so switching models re-embeds instead of mixing
 * incomparable vector spaces.
 */
export interface Embedder {
  /** Identifies the vector space, e.g. "openai-compatible:bge-m3". */
  readonly model: string;
  /**
   * One vector per input, in order. Batching, retries and timeouts are the driver's job;
   * throws `LlmError` (llm/llm-error.ts: the same kinds as the chat model's) after giving up.
   */
  embed(texts: readonly string[], options?: { signal?: AbortSignal }): Promise<Float32Array[]>;
}
