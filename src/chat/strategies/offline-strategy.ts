import type { StreamPart } from '../../llm/chat-model.js';
import type { AnswerStrategy } from './answer-strategy.js';
import { offlineAnswer } from './offline-answer.js';
import { selectPassages, type RagOptions, type Retriever } from './retriever.js';

/**
 * No model configured (LLM_BASE_URL unset): the best passages themselves, or an honest notice.
 * The knowledge base may be absent, or empty until documents are uploaded: checked per question.
 */
export function offlineStrategy(retriever: Retriever | undefined, rag: RagOptions): AnswerStrategy {
  return {
    async answer(question) {
      const empty = retriever === undefined || retriever.size() === 0;
      const found = empty ? [] : await selectPassages(retriever, question.query, rag);
      const { text, quoted } = offlineAnswer(found, empty);
      await question.stream(textOnly(text));
      return { passages: quoted };
    },
  };
}

async function* textOnly(text: string): AsyncIterable<StreamPart> {
  yield { type: 'text-delta', text };
  yield { type: 'finish', reason: 'stop' };
}
