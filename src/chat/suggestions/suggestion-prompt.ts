import type { ChatMessage } from '../../llm/chat-model.js';

/**
 * Marks the suggestion request in the system prompt: logs and the fake model of the tests
 * (test/support/fake-llm-replies.ts) recognise it by this.
 */
export const SUGGESTION_MARKER = '【追问建议】';

/** The answer's text quoted to the model at most: its gist is in the beginning. */
const ANSWER_CHARS = 1_500;
const QUESTION_CHARS = 300;

/**
 * One tight request for the suggestion model: the question and the answer in, a JSON array of
 * three short Chinese questions out. No history, no passages: the call stays small and fast.
 */
export function suggestionPrompt(question: string, answer: string): ChatMessage[] {
  const system =
    `${SUGGESTION_MARKER}你为一个问答小程序生成“猜你想问”。根据下面的一问一答，写出用户接下来最可能追问的 3 个问题。` +
    '要求：简体中文；每个问题不超过 20 个字；彼此不同，也不要重复用户刚问过的问题；只写问题本身。' +
    '只输出一个 JSON 字符串数组，例如 ["退货运费谁承担？","退款多久到账？","可以换货吗？"]，不要输出其他任何内容。';
  const user = `用户的问题：${clip(question, QUESTION_CHARS)}\n\n回答：${clip(answer, ANSWER_CHARS)}`;
  return [
    { role: 'system', content: system },
    { role: 'user', content: user },
  ];
}

function clip(text: string, max: number): string {
  const chars = Array.from(text.trim());
  return chars.length > max ? `${chars.slice(0, max).join('')}…` : chars.join('');
}
