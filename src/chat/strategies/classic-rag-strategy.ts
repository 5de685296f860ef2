import type { ChatModel } from '../../llm/chat-model.js';
import type { AnswerStrategy, StrategyOptions } from './answer-strategy.js';
import { answerWithPassages } from './model-only-strategy.js';
import { selectPassages, type Retriever } from './retriever.js';
import { looksLikeFollowUp, rewriteFollowUp } from './rewrite-follow-up.js';

/**
 * Classic RAG: retrieve for the question — rewritten first when it is a follow-up such as
 * "那它多少钱？" — and quote what clears the relevance bar. While the knowledge base is empty
 * (it can fill up at run time through uploads) the model answers alone, without a rewrite.
 */
export function classicRagStrategy(model: ChatModel, retriever: Retriever, options: StrategyOptions): AnswerStrategy {
  return {
    async answer(question) {
      if (retriever.size() === 0) return answerWithPassages(model, question, options.systemPrompt);
      const { query, turns, signal } = question;
      const searchQuery = looksLikeFollowUp(query, turns) ? await rewriteFollowUp(model, turns, query, signal) : query;
      if (searchQuery !== query) question.searching(searchQuery);
      const passages = await selectPassages(retriever, searchQuery, options.rag);
      return answerWithPassages(model, question, options.systemPrompt, passages);
    },
  };
}
