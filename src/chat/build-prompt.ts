import type { ChatMessage } from '../llm/chat-model.js';
import type { StoredMessage } from '../store/history-store.js';

/**
 * System prompt + the conversation so far → model messages. Failed answers with no text are
 * dropped (they carry nothing); a cancelled answer is kept — the user saw it.
 */
export function buildPrompt(systemPrompt: string, history: StoredMessage[]): ChatMessage[] {
  const messages: ChatMessage[] = [];
  if (systemPrompt.trim() !== '') messages.push({ role: 'system', content: systemPrompt });
  for (const turn of history) {
    if (turn.role === 'assistant' && turn.content === '') continue;
    messages.push({ role: turn.role, content: turn.content });
  }
  return messages;
}
