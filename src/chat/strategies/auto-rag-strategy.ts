import type { ChatModel, ToolDefinition, ChatMessage } from '../../llm/chat-model.js';
import { LlmError } from '../../llm/llm-error.js';
import { buildPrompt } from '../build-prompt.js';
import type { AnswerStrategy, StrategyOptions } from './answer-strategy.js';
import { AUTO_RAG_INSTRUCTION, runAutoRag } from './auto-rag.js';
import type { Retriever } from './retriever.js';

/**
 * Auto RAG for questions that ask for it (`use_auto_rag`): the model searches the knowledge
 * base with a tool. Questions without the flag — and every question while the knowledge base
 * is empty — go to `classic`. A model or server without function calling refuses the tools
 * (`tools_unsupported`, before any text): the question falls back to `classic` then. Any
 * other failure (a wrong key, a timeout) fails the answer as it is — no second model call.
 */
export function autoRagStrategy(
  model: ChatModel,
  retriever: Retriever,
  options: StrategyOptions,
  classic: AnswerStrategy,
): AnswerStrategy {
  return {
    async answer(question) {
      if (!question.useAutoRag || retriever.size() === 0) return classic.answer(question);
      const generate = (messages: ChatMessage[], tools?: ToolDefinition[]) =>
        question.stream(model.stream({ messages, tools, signal: question.signal }));
      try {
        return await runAutoRag({
          messages: buildPrompt(`${options.systemPrompt}\n\n${AUTO_RAG_INSTRUCTION}`, question.turns),
          generate,
          retriever,
          rag: options.rag,
          onSearch: (query) => question.searching(query),
        });
      } catch (error) {
        if (!(LlmError.is(error) && error.kind === 'tools_unsupported' && !question.hasText())) throw error;
        question.log.warn({ error: error.message }, 'model refused tools: auto RAG falls back to retrieval');
        return classic.answer(question);
      }
    },
  };
}
