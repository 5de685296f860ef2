import type { KbHit } from '../../knowledge-base/knowledge-base.js';

/** Passages quoted in an offline answer: enough to answer, short enough to read on a phone. */
export const OFFLINE_PASSAGES = 2;

/**
 * The answer when no model is configured: the best passages themselves, with where they come
 * from — or a clear "not in the knowledge base". What `npm start` gives a new user.
 * `quoted` is exactly the passages in `text`, best first: the answer's sources.
 */
export function offlineAnswer(hits: KbHit[], knowledgeBaseEmpty: boolean): { text: string; quoted: KbHit[] } {
  const mode = '（当前为离线模式：未配置大模型 LLM_BASE_URL，只能直接给出知识库中的原文。）';
  if (knowledgeBaseEmpty) {
    const text = `服务器当前运行在离线模式：尚未配置大模型（LLM_BASE_URL），知识库也是空的，暂时无法回答。请管理员配置 LLM_BASE_URL、LLM_API_KEY、LLM_MODEL，或导入知识库文档。`;
    return { text, quoted: [] };
  }
  if (hits.length === 0) return { text: `抱歉，知识库中没有找到与这个问题相关的内容。${mode}`, quoted: [] };
  const quoted = hits.slice(0, OFFLINE_PASSAGES);
  const parts = quoted.map((hit) => {
    const where = [hit.title, ...hit.headingPath].filter(Boolean).join(' › ');
    return `**${where}**\n\n${hit.text}\n\n> 来源：${hit.source}`;
  });
  return { text: `根据知识库找到以下内容：\n\n${parts.join('\n\n---\n\n')}\n\n${mode}`, quoted };
}
