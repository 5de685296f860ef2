/**
 * `ChatModel` driver for any OpenAI-compatible endpoint (OpenAI, DeepSeek, Qwen/DashScope,
 * Moonshot, vLLM, Ollama…).
 *
 * The request goes out through one of two HTTP clients with one contract: the lean one
 * (http-chat-stream.ts: undici's dispatch + our SSE decoder, the default — about half the CPU per
 * streamed token) or the official `openai` SDK (sdk-chat-stream.ts: when a custom `fetch` is
 * given, or `httpClient: 'sdk'`; loaded only then). Both report failures as `UpstreamFailure`,
 * mapped to `LlmError` by the one `mapLlmFailure`; everything below is shared.
 *
 * Retries are ours, not the SDK's (it runs with `maxRetries: 0`), because the SDK's loop
 * (a) sleeps without watching the abort signal, (b) obeys any Retry-After however long, with
 * no cap or jitter, (c) times out only until response headers, never a stalled stream, and
 * (d) cannot retry a stream that died before its first token. Ours retries 429 / 5xx /
 * connection errors / timeouts, only while nothing was yielded, within one total deadline.
 *
 * @example
 * const model = new OpenAiChatModel({ baseURL: 'https://api.deepseek.com/v1', apiKey, model: 'deepseek-chat' });
 * for await (const part of model.stream({ messages, signal })) if (part.type === 'text-delta') send(part.text);
 */
import type {
  ChatCompletionChunk,
  ChatCompletionCreateParamsStreaming,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import { AttemptGuard } from './attempt-guard.js';
import { hasImages, type ChatMessage, type ChatModel, type ChatRequest, type FinishReason, type StreamPart, type TokenUsage, type ToolCall } from './chat-model.js';
import { LlmError } from './llm-error.js';
import { mapLlmFailure, type FailureContext } from './map-llm-failure.js';
import { retryDelay, waitToRetry, type RetryPolicy } from './retry-policy.js';
import { UpstreamFailure } from './upstream-failure.js';

export interface OpenAiChatModelOptions {
  /** e.g. https://api.openai.com/v1 — /chat/completions is appended */
  baseURL: string;
  /** Sent only as the Bearer header; redacted from every error. */
  apiKey: string;
  model: string;
  /** Budget for the whole call — all attempts, waits and the full stream — in ms. Default 60 000. */
  timeoutMs?: number;
  /** Per attempt: ms from sending the request to the first text or tool-call fragment. Default: none. */
  firstTokenTimeoutMs?: number;
  /** Extra attempts after the first, only while nothing has been yielded. Default 2. */
  maxRetries?: number;
  /** Answer cap in tokens when the request sets none. Default: the endpoint's. */
  maxTokens?: number;
  /** First backoff step in ms, doubled each retry, when the server gives no Retry-After. Default 500. */
  retryBaseDelayMs?: number;
  /** Longest single wait in ms; a Retry-After above it ends the call instead. Default 8 000. */
  maxRetryDelayMs?: number;
  /** HTTP client: 'http' (lean, default) or 'sdk' (the `openai` SDK; implied by `fetch`). */
  httpClient?: 'http' | 'sdk';
  /** a fetch for the SDK client to use (proxies, instrumentation) */
  fetch?: typeof fetch;
}

/** What the driver needs of an HTTP client: the chunks of one streamed completion. */
interface ChunkClient {
  open(params: ChatCompletionCreateParamsStreaming, signal: AbortSignal): Promise<AsyncIterableIterator<unknown>>;
  close(): void;
}

export class OpenAiChatModel implements ChatModel {
  readonly name: string;
  #client: ChunkClient | Promise<ChunkClient> | undefined;
  readonly #options: OpenAiChatModelOptions;
  readonly #retry: RetryPolicy;

  constructor(options: OpenAiChatModelOptions) {
    this.name = `openai-compatible:${options.model}`;
    this.#options = options;
    this.#retry = {
      maxRetries: options.maxRetries ?? 2,
      baseDelayMs: options.retryBaseDelayMs ?? 500,
      maxDelayMs: options.maxRetryDelayMs ?? 8_000,
    };
  }

  /**
   * The HTTP client, made on first use: its library loads with the first question, not at start
   * (undici for the lean client; the SDK's ~150 modules only when it is chosen).
   */
  #chunkClient(): ChunkClient | Promise<ChunkClient> {
    if (this.#client) return this.#client;
    const { baseURL, apiKey, fetch, httpClient } = this.#options;
    if (!fetch && httpClient !== 'sdk') {
      this.#client = import('./http-chat-stream.js').then(({ HttpChatStream }) => (this.#client = new HttpChatStream({ baseURL, apiKey })));
      return this.#client;
    }
    const timeoutMs = this.#options.timeoutMs ?? 60_000;
    this.#client = import('./sdk-chat-stream.js').then(({ SdkChatStream }) => (this.#client = new SdkChatStream({ baseURL, apiKey, timeoutMs, fetch })));
    return this.#client;
  }

  /** Closes idle upstream connections (shutdown). */
  async close(): Promise<void> {
    (await this.#client)?.close();
  }

  /**
   * Retries (only before anything was yielded) around one request per attempt. The chunk loop
   * is inline, not a nested generator: every delta passes through here, and each generator
   * level costs a promise round trip per delta.
   */
  async *stream(request: ChatRequest): AsyncIterable<StreamPart> {
    const deadline = Date.now() + (this.#options.timeoutMs ?? 60_000);
    const context: FailureContext = { apiKey: this.#options.apiKey, sentTools: Boolean(request.tools?.length), sentImages: hasImages(request.messages) };
    for (let attempt = 0; ; attempt++) {
      if (request.signal.aborted) throw new LlmError('aborted', 'model call aborted by caller');
      const guard = new AttemptGuard(request.signal, deadline, this.#options.firstTokenTimeoutMs);
      let yielded = false;
      let answerRead = false;
      let retryAfter: number | undefined;
      try {
        const client = await this.#chunkClient();
        const chunks = await client.open(this.#body(request), guard.signal);
        const calls = new Map<number, ToolCall>();
        let reason: FinishReason | undefined;
        let usage: TokenUsage | undefined;
        for await (const value of chunks) {
          const chunk = value as ChatCompletionChunk;
          if (chunk.usage) usage = mapUsage(chunk.usage);
          const choice = chunk.choices?.[0];
          if (!choice) continue; // the include_usage chunk has no choices
          const delta = choice.delta;
          const content = delta?.content;
          const fragments = delta?.tool_calls;
          if (content || fragments?.length) guard.firstToken();
          if (content) {
            yielded = true;
            yield { type: 'text-delta', text: content };
          }
          if (fragments) {
            for (const f of fragments) {
              // OpenAI sends id and name once, then argument fragments keyed by `index`.
              const call = calls.get(f.index) ?? { id: f.id ?? `call_${f.index}`, name: '', arguments: '' };
              if (f.function?.name && !call.name) call.name = f.function.name;
              call.arguments += f.function?.arguments ?? '';
              calls.set(f.index, call);
            }
          }
          if (choice.finish_reason) reason = mapFinishReason(choice.finish_reason);
        }
        // The SDK ends iteration quietly when its signal fires; only our flag tells abort from end.
        if (guard.aborted) throw new Error('aborted');
        answerRead = true;
        if (!reason) throw new LlmError('upstream', 'model stream ended without a finish reason');
        yielded = true;
        if (calls.size > 0) {
          yield { type: 'tool-calls', calls: [...calls].sort(([a], [b]) => a - b).map(([, call]) => call) };
        }
        yield { type: 'finish', reason, ...(usage && { usage }) };
        return;
      } catch (error) {
        if (error instanceof UpstreamFailure) retryAfter = error.retryAfterMs;
        const failure = mapLlmFailure(error, { ...context, abortedBy: guard.abortedBy });
        // After a part reached the caller a retry would repeat text the user already saw.
        if (yielded || !failure.isRetryable) throw failure;
        const wait = retryDelay(this.#retry, attempt, retryAfter);
        if (wait === undefined || Date.now() + wait >= deadline) throw failure;
        guard.dispose(answerRead);
        try {
          await waitToRetry(wait, request.signal);
        } catch {
          throw new LlmError('aborted', 'model call aborted by caller');
        }
      } finally {
        guard.dispose(answerRead);
      }
    }
  }

  #body(request: ChatRequest): ChatCompletionCreateParamsStreaming {
    const maxTokens = request.maxTokens ?? this.#options.maxTokens;
    return {
      model: this.#options.model,
      messages: request.messages.map(toOpenAiMessage),
      stream: true,
      stream_options: { include_usage: true },
      ...(request.tools?.length && {
        tools: request.tools.map((t) => ({
          type: 'function' as const,
          function: { name: t.name, description: t.description, parameters: t.parameters },
        })),
      }),
      // `max_tokens`, not `max_completion_tokens`: the compatible servers we target read only this one.
      ...(maxTokens !== undefined && { max_tokens: maxTokens }),
    };
  }
}

function toOpenAiMessage(m: ChatMessage): ChatCompletionMessageParam {
  switch (m.role) {
    case 'system':
      return { role: m.role, content: m.content };
    case 'user':
      // both HTTP clients send this body: the content parts are translated here, once
      if (!m.parts?.length) return { role: m.role, content: m.content };
      return {
        role: 'user',
        content: [
          { type: 'text', text: m.content },
          ...m.parts.map((part) => ({ type: 'image_url' as const, image_url: { url: `data:${part.mime};base64,${part.base64}` } })),
        ],
      };
    case 'tool':
      return { role: 'tool', content: m.content, tool_call_id: m.toolCallId ?? '' };
    case 'assistant':
      return {
        role: 'assistant',
        content: m.content,
        ...(m.toolCalls?.length && {
          tool_calls: m.toolCalls.map((c) => ({
            id: c.id,
            type: 'function' as const,
            function: { name: c.name, arguments: c.arguments },
          })),
        }),
      };
  }
}

type OpenAiFinish = ChatCompletionChunk.Choice['finish_reason'];

function mapFinishReason(reason: NonNullable<OpenAiFinish>): FinishReason {
  if (reason === 'function_call') return 'tool_calls'; // the pre-tools name some servers still send
  return reason === 'stop' || reason === 'length' || reason === 'tool_calls' || reason === 'content_filter'
    ? reason
    : 'other';
}

function mapUsage(u: NonNullable<ChatCompletionChunk['usage']>): TokenUsage {
  return { promptTokens: u.prompt_tokens, completionTokens: u.completion_tokens, totalTokens: u.total_tokens };
}
