/**
 * Streamed chat completions through the official `openai` SDK: the client for callers that
 * bring their own `fetch` (a proxy agent, instrumentation) or choose it with LLM_HTTP_CLIENT=sdk.
 * Same contract as `HttpChatStream`: SDK errors leave as `UpstreamFailure`s, so the driver
 * maps both clients' failures with the one `mapLlmFailure`.
 */
import OpenAI from 'openai';
import type { ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';
import { fromOpenAiError } from './map-openai-error.js';

export interface SdkChatStreamOptions {
  baseURL: string;
  apiKey: string;
  /** the SDK's own per-request timeout, ms (ours is the driver's deadline; this is a backstop) */
  timeoutMs: number;
  fetch?: typeof fetch | undefined;
}

export class SdkChatStream {
  readonly #client: OpenAI;

  constructor(options: SdkChatStreamOptions) {
    this.#client = new OpenAI({
      baseURL: options.baseURL,
      apiKey: options.apiKey,
      // retries are the driver's (see openai-chat-model.ts)
      maxRetries: 0,
      timeout: options.timeoutMs,
      // Explicit nulls: otherwise the SDK reads OPENAI_ORG_ID / OPENAI_PROJECT_ID from the env and
      // would send them to a third-party endpoint. Its own logger stays off: errors go through us.
      organization: null,
      project: null,
      logLevel: 'off',
      ...(options.fetch && { fetch: options.fetch }),
    });
  }

  async open(params: ChatCompletionCreateParamsStreaming, signal: AbortSignal): Promise<AsyncIterableIterator<unknown>> {
    try {
      return translated(await this.#client.chat.completions.create(params, { signal }));
    } catch (error) {
      throw fromOpenAiError(error);
    }
  }

  close(): void {}
}

async function* translated(stream: AsyncIterable<unknown>): AsyncIterableIterator<unknown> {
  try {
    yield* stream;
  } catch (error) {
    throw fromOpenAiError(error);
  }
}
