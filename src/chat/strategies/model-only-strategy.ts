import type { ChatModel } from '../../llm/chat-model.js';
import type { KbHit } from '../../knowledge-base/knowledge-base.js';
import { buildPrompt } from '../build-prompt.js';
import type { Answer, AnswerStrategy, Question } from './answer-strategy.js';

/** No knowledge base configured: the model answers from the conversation alone. */
export function modelOnlyStrategy(model: ChatModel, systemPrompt: string): AnswerStrategy {
  return { answer: (question) => answerWithPassages(model, question, systemPrompt) };
}

/** One model call over the conversation, quoting `passages` (none: the model alone). */
export async function answerWithPassages(
  model: ChatModel,
  question: Question,
  systemPrompt: string,
  passages: KbHit[] = [],
): Promise<Answer> {
  const messages = buildPrompt(systemPrompt, question.turns, passages);
  const { usage } = await question.stream(model.stream({ messages, signal: question.signal }));
  return { usage, passages };
}
