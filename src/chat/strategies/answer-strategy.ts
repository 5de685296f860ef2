import type { Logger } from 'pino';
import type { StreamPart, TokenUsage, ToolCall } from '../../llm/chat-model.js';
import type { KbHit } from '../../knowledge-base/knowledge-base.js';
import type { PromptTurn } from '../build-prompt.js';
import type { RagOptions } from './retriever.js';

/**
 * How a question gets its answer: one strategy per way of answering (offline, model only,
 * classic RAG, auto RAG), picked once by `chooseStrategy`. The chat service owns everything
 * around it — storing the question and the answer, the waiting line, cancellation — and hands
 * the strategy a `Question` through which text reaches the client.
 */
export interface AnswerStrategy {
  /** Streams the answer through `question.stream`; throws on failure (LlmError, StoreError…). */
  answer(question: Question): Promise<Answer>;
}

export interface Question {
  query: string;
  /** the current conversation, oldest first, this question last (with the images a prompt re-sends) */
  turns: PromptTurn[];
  /** the client's `use_auto_rag` */
  useAutoRag: boolean;
  /** fires when the client cancels or leaves: pass it to every model call */
  signal: AbortSignal;
  /** this answer's logger (carries its id) */
  log: Logger;
  /** Sends one model call's text to the client as it comes; resolves with usage and tool calls. */
  stream(parts: AsyncIterable<StreamPart>): Promise<ModelStep>;
  /** Tells the client the knowledge base is being searched for `query` (`chat_progress`). */
  searching(query: string): void;
  /** Whether any text already reached the client (a fallback must not repeat it). */
  hasText(): boolean;
}

export interface ModelStep {
  usage?: TokenUsage;
  toolCalls: ToolCall[];
}

export interface Answer {
  usage?: TokenUsage;
  /** exactly the passages the answer quoted, most relevant first: they become `sources` */
  passages: KbHit[];
}

export interface StrategyOptions {
  systemPrompt: string;
  rag: RagOptions;
}
