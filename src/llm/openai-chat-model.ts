/**
 * `ChatModel` driver for any OpenAI-compatible endpoint (OpenAI, DeepSeek, Qwen/DashScope,
 * Moonshot, vLLM, Ollama…) over the official `openai` SDK.
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
import OpenAI, { APIError } from 'openai';
import type {
  ChatCompletionChunk,
  ChatCompletionCreateParamsStreaming,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import type { ChatMessage, ChatModel, ChatRequest, FinishReason, StreamPart, TokenUsage, ToolCall } from './chat-model.js';
import { LlmError } from './llm-error.js';
import { mapOpenAiError, type OpenAiErrorContext } from './map-openai-error.js';
import { retryAfterMs, retryDelay, waitToRetry, type RetryPolicy } from './retry-policy.js';

export interface OpenAiChatModelOptions {
  /** e.g. https://api.openai.com/v1 — the SDK appends /chat/completions */
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
  fetch?: typeof fetch;
}

export class OpenAiChatModel implements ChatModel {
  readonly name: string;
  readonly #client: OpenAI;
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
    this.#client = new OpenAI({
      baseURL: options.baseURL,
      apiKey: options.apiKey,
      maxRetries: 0,
      timeout: options.timeoutMs ?? 60_000,
      // Explicit nulls: otherwise the SDK reads OPENAI_ORG_ID / OPENAI_PROJECT_ID from the env and
      // would send them to a third-party endpoint. Its own logger stays off: errors go through us.
      organization: null,
      project: null,
      logLevel: 'off',
      ...(options.fetch && { fetch: options.fetch }),
    });
  }

  async *stream(request: ChatRequest): AsyncIterable<StreamPart> {
    const deadline = Date.now() + (this.#options.timeoutMs ?? 60_000);
    for (let attempt = 0; ; attempt++) {
      const state: AttemptState = { yielded: false };
      try {
        for await (const part of this.#attempt(request, deadline, state)) {
          state.yielded = true;
          yield part;
        }
        return;
      } catch (error) {
        const failure = mapOpenAiError(error, { apiKey: this.#options.apiKey });
        // After a part reached the caller a retry would repeat text the user already saw.
        if (state.yielded || !failure.isRetryable) throw failure;
        const wait = retryDelay(this.#retry, attempt, state.retryAfterMs);
        if (wait === undefined || Date.now() + wait >= deadline) throw failure;
        try {
          await waitToRetry(wait, request.signal);
        } catch {
          throw new LlmError('aborted', 'model call aborted by caller');
        }
      }
    }
  }

  /** One HTTP request. Throws LlmError; records Retry-After for the loop above. */
  async *#attempt(request: ChatRequest, deadline: number, state: AttemptState): AsyncGenerator<StreamPart> {
    if (request.signal.aborted) throw new LlmError('aborted', 'model call aborted by caller');
    const controller = new AbortController();
    let abortedBy: OpenAiErrorContext['abortedBy'];
    const abort = (why: NonNullable<typeof abortedBy>) => () => {
      abortedBy ??= why;
      controller.abort();
    };
    const onCallerAbort = abort('caller');
    request.signal.addEventListener('abort', onCallerAbort, { once: true });
    const total = setTimeout(abort('deadline'), Math.max(0, deadline - Date.now()));
    const { firstTokenTimeoutMs } = this.#options;
    const firstToken = firstTokenTimeoutMs ? setTimeout(abort('first-token'), firstTokenTimeoutMs) : undefined;
    try {
      const stream = await this.#client.chat.completions.create(this.#body(request), { signal: controller.signal });
      const calls = new Map<number, ToolCall>();
      let reason: FinishReason | undefined;
      let usage: TokenUsage | undefined;
      for await (const chunk of stream) {
        if (chunk.usage) usage = mapUsage(chunk.usage);
        const choice = chunk.choices[0];
        if (!choice) continue; // the include_usage chunk has no choices
        const { content, tool_calls: fragments } = choice.delta ?? {};
        if (content || fragments?.length) clearTimeout(firstToken);
        if (content) yield { type: 'text-delta', text: content };
        for (const f of fragments ?? []) {
          // OpenAI sends id and name once, then argument fragments keyed by `index`.
          const call = calls.get(f.index) ?? { id: f.id ?? `call_${f.index}`, name: '', arguments: '' };
          if (f.function?.name && !call.name) call.name = f.function.name;
          call.arguments += f.function?.arguments ?? '';
          calls.set(f.index, call);
        }
        if (choice.finish_reason) reason = mapFinishReason(choice.finish_reason);
      }
      // The SDK ends iteration quietly when its signal fires; only our flag tells abort from end.
      if (controller.signal.aborted) throw new Error('aborted');
      if (!reason) throw new LlmError('upstream', 'model stream ended without a finish reason');
      if (calls.size > 0) {
        yield { type: 'tool-calls', calls: [...calls].sort(([a], [b]) => a - b).map(([, call]) => call) };
      }
      yield { type: 'finish', reason, ...(usage && { usage }) };
    } catch (error) {
      if (error instanceof APIError) state.retryAfterMs = retryAfterMs(error.headers);
      throw mapOpenAiError(error, { abortedBy, apiKey: this.#options.apiKey, sentTools: Boolean(request.tools?.length) });
    } finally {
      clearTimeout(total);
      clearTimeout(firstToken);
      request.signal.removeEventListener('abort', onCallerAbort);
      controller.abort(); // a caller that stopped reading early must not leave the socket streaming
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

interface AttemptState {
  yielded: boolean;
  retryAfterMs?: number;
}

function toOpenAiMessage(m: ChatMessage): ChatCompletionMessageParam {
  switch (m.role) {
    case 'system':
    case 'user':
      return { role: m.role, content: m.content };
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
