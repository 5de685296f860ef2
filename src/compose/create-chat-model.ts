import type { Config } from '../config/config-schema.js';
import type { ChatModel } from '../llm/chat-model.js';
import type { OpenAiChatModelOptions } from '../llm/openai-chat-model.js';

/**
 * Any OpenAI-compatible endpoint when LLM_BASE_URL is set, else none (offline mode); requests
 * with images go to VISION_MODEL / VISION_BASE_URL when those differ (llm/vision-routing-model.ts). The
 * driver is imported only then; the `openai` SDK (~150 modules) only with LLM_HTTP_CLIENT=sdk.
 */
export async function createChatModel(
  config: Readonly<Config>,
  tuning: Partial<OpenAiChatModelOptions> = {},
): Promise<ChatModel | undefined> {
  if (!config.llm.baseUrl) return undefined;
  const [{ OpenAiChatModel }, { routeVision }] = await Promise.all([import('../llm/openai-chat-model.js'), import('../llm/vision-routing-model.js')]);
  const common = {
    timeoutMs: config.llm.timeoutMs,
    maxRetries: config.llm.maxRetries,
    maxTokens: config.llm.maxTokens,
    httpClient: config.llm.httpClient,
  };
  const text = new OpenAiChatModel({
    baseURL: config.llm.baseUrl,
    // local servers (Ollama, vLLM) need no key, but the SDK insists on one
    apiKey: config.llm.apiKey ?? 'not-needed',
    model: config.llm.model,
    ...common,
    ...tuning,
  });
  // photo questions go to VISION_MODEL (on VISION_BASE_URL when set); the same model needs no second client
  const { vision } = config;
  if (!vision.baseUrl && (vision.model ?? config.llm.model) === config.llm.model) return text;
  const visionModel = new OpenAiChatModel({
    baseURL: vision.baseUrl ?? config.llm.baseUrl,
    apiKey: (vision.baseUrl ? vision.apiKey : config.llm.apiKey) ?? 'not-needed',
    model: vision.model ?? config.llm.model,
    ...common,
    ...tuning,
  });
  return routeVision(text, visionModel);
}
