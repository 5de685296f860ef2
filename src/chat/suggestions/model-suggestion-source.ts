import type { ChatModel } from '../../llm/chat-model.js';
import { cleanSuggestions, parseSuggestionText } from './clean-suggestions.js';
import { suggestionPrompt } from './suggestion-prompt.js';
import type { SuggestionRequest, SuggestionSource } from './suggestion-source.js';

/** Three questions of ≤ 30 characters as a JSON array fit in well under this. */
export const SUGGESTION_MAX_TOKENS = 160;

/** Reply text read at most: a model that rambles is cut off (and its text parsed as far as it got). */
const MAX_REPLY_CHARS = 2_000;

/**
 * Suggestions from one small model call (suggestion-prompt.ts), parsed defensively. A model
 * that fails rejects (LlmError); one that answers garbage resolves [].
 */
export class ModelSuggestionSource implements SuggestionSource {
  readonly name = 'model';
  readonly generated = true;

  constructor(
    /** the composition root builds it without retries and with the suggestion deadline */
    private readonly model: ChatModel,
    private readonly maxTokens = SUGGESTION_MAX_TOKENS,
  ) {}

  async suggest(request: SuggestionRequest, signal: AbortSignal): Promise<string[]> {
    let reply = '';
    const messages = suggestionPrompt(request.question, request.answer);
    for await (const part of this.model.stream({ messages, signal, maxTokens: this.maxTokens })) {
      if (part.type !== 'text-delta') continue;
      reply += part.text;
      // leaving the loop closes the stream, which aborts the upstream request
      if (reply.length > MAX_REPLY_CHARS) break;
    }
    return cleanSuggestions(parseSuggestionText(reply), request.question);
  }
}
