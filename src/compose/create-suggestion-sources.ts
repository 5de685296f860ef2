import type { Config } from '../config/config-schema.js';
import type { KnowledgeBase } from '../knowledge-base/knowledge-base.js';
import type { ChatModel } from '../llm/chat-model.js';
import type { OpenAiChatModelOptions } from '../llm/openai-chat-model.js';
import { KbSuggestionSource } from '../chat/suggestions/kb-suggestion-source.js';
import { ModelSuggestionSource, SUGGESTION_MAX_TOKENS } from '../chat/suggestions/model-suggestion-source.js';
import type { SuggestionSource } from '../chat/suggestions/suggestion-source.js';
import { createChatModel } from './create-chat-model.js';

/**
 * SUGGESTIONS=on: with a model, one small call per answer (SUGGESTIONS_MODEL on the same
 * endpoint, no retries, SUGGESTIONS_TIMEOUT_MS), the knowledge base's neighbouring headings
 * when it fails; without one (offline mode) the headings alone. Off: none at all.
 */
export async function createSuggestionSources(
  config: Readonly<Config>,
  model: ChatModel | undefined,
  knowledgeBase: KnowledgeBase | undefined,
  tuning: Partial<OpenAiChatModelOptions> = {},
): Promise<SuggestionSource[] | undefined> {
  if (config.suggestions.mode !== 'on') return undefined;
  const sources: SuggestionSource[] = [];
  if (model) {
    const suggestionModel = await createChatModel(config, {
      ...tuning,
      model: config.suggestions.model ?? config.llm.model,
      // optional text: a retry would only arrive after the user moved on
      maxRetries: 0,
      timeoutMs: config.suggestions.timeoutMs,
      maxTokens: SUGGESTION_MAX_TOKENS,
    });
    if (suggestionModel) sources.push(new ModelSuggestionSource(suggestionModel));
  }
  if (knowledgeBase) sources.push(new KbSuggestionSource(knowledgeBase));
  return sources.length > 0 ? sources : undefined;
}
