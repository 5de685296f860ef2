import type { ChatModel } from '../../llm/chat-model.js';
import type { AnswerStrategy, StrategyOptions } from './answer-strategy.js';
import { autoRagStrategy } from './auto-rag-strategy.js';
import { classicRagStrategy } from './classic-rag-strategy.js';
import { modelOnlyStrategy } from './model-only-strategy.js';
import { offlineStrategy } from './offline-strategy.js';
import type { Retriever } from './retriever.js';

/**
 * Picks how questions are answered, once, when the chat service is built — from what is
 * configured, which cannot change while the server runs:
 * - no model → offline (passages from the knowledge base, if any);
 * - a model, no knowledge base → the model alone;
 * - both → auto RAG for questions with `use_auto_rag`, classic RAG for the others.
 *
 * Whether the knowledge base has *content* is deliberately not part of the choice: uploads
 * (admin API) can fill an empty one at run time, so the RAG strategies look at
 * `retriever.size()` per question and let the model answer alone while it is empty.
 */
export function chooseStrategy(
  model: ChatModel | undefined,
  retriever: Retriever | undefined,
  options: StrategyOptions,
): AnswerStrategy {
  if (!model) return offlineStrategy(retriever, options.rag);
  if (!retriever) return modelOnlyStrategy(model, options.systemPrompt);
  const classic = classicRagStrategy(model, retriever, options);
  return autoRagStrategy(model, retriever, options, classic);
}
