import type { Config } from '../config/config-schema.js';
import type { ChatModel } from '../llm/chat-model.js';
import type { OpenAiChatModelOptions } from '../llm/openai-chat-model.js';

/**
 * Any OpenAI-compatible endpoint when LLM_BASE_URL is set, else none (offline mode). The
 * driver is imported only then; the `openai` SDK (~150 modules) only with LLM_HTTP_CLIENT=sdk.
 */
export async function createChatModel(
  config: Readonly<Config>,
  tuning: Partial<OpenAiChatModelOptions> = {},
): Promise<ChatModel | undefined> {
  if (!config.llm.baseUrl) return undefined;
  const { OpenAiChatModel } = await import('../llm/openai-chat-model.js');
  return new OpenAiChatModel({
    baseURL: config.llm.baseUrl,
    // local servers (Ollama, vLLM) need no key, but the SDK insists on one
    apiKey: config.llm.apiKey ?? 'not-needed',
    model: config.llm.model,
    timeoutMs: config.llm.timeoutMs,
    maxRetries: config.llm.maxRetries,
    maxTokens: config.llm.maxTokens,
    httpClient: config.llm.httpClient,
    ...tuning,
  });
}
