import type { ChatMessage, ChatModel } from '../../llm/chat-model.js';
import type { StoredMessage } from '../../store/history-store.js';

/**
 * Follow-ups such as "那它多少钱？" retrieve nothing on their own: the thing they ask about is
 * in an earlier turn. Such a question is rewritten into a standalone one before retrieval by
 * the model — or, when that fails, by prefixing the previous question.
 */

/** pronouns and demonstratives that point back into the conversation */
const POINTS_BACK = /[它他她其]|这个|那个|这些|那些|该|上面|上述|前面|刚才|刚刚|^那|^这|^还有|呢[？?]?$/;

export function looksLikeFollowUp(query: string, history: StoredMessage[]): boolean {
  const hasEarlierQuestion = history.some((m) => m.role === 'user' && m.content !== query);
  return hasEarlierQuestion && (POINTS_BACK.test(query) || Array.from(query).length <= 8);
}

const REWRITE_INSTRUCTION =
  '你是检索改写助手。根据对话，把用户最后一个问题改写成一个不依赖上下文、可以单独用于检索的完整问题。' +
  '补全代词指代的对象，保留原意，不要回答问题。只输出改写后的问题，不要任何解释。';

export async function rewriteFollowUp(
  model: ChatModel,
  history: StoredMessage[],
  query: string,
  signal: AbortSignal,
): Promise<string> {
  const earlier = history.filter((m) => m.content !== '' && !(m.role === 'user' && m.content === query)).slice(-6);
  const previousQuestion = [...earlier].reverse().find((m) => m.role === 'user')?.content ?? '';
  const fallback = `${previousQuestion} ${query}`.trim();
  const transcript = earlier.map((m) => `${m.role === 'user' ? '用户' : '助手'}：${m.content.slice(0, 500)}`).join('\n');
  const messages: ChatMessage[] = [
    { role: 'system', content: REWRITE_INSTRUCTION },
    { role: 'user', content: `对话：\n${transcript}\n\n用户最后的问题：${query}\n\n改写后的问题：` },
  ];
  try {
    let text = '';
    const deadline = AbortSignal.any([signal, AbortSignal.timeout(8_000)]);
    for await (const part of model.stream({ messages, signal: deadline, maxTokens: 100 })) {
      if (part.type === 'text-delta') text += part.text;
    }
    const rewritten = text.trim().split('\n')[0]!.replace(/^改写后的问题[:：]\s*/, '').trim();
    return rewritten.length > 0 && rewritten.length <= 500 ? rewritten : fallback;
  } catch {
    if (signal.aborted) throw signal.reason;
    return fallback; // a failed rewrite must not fail the answer
  }
}
