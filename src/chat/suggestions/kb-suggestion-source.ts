import type { KbNeighbour } from '../../knowledge-base/knowledge-base.js';
import { cleanSuggestions, MAX_SUGGESTION_CHARS } from './clean-suggestions.js';
import type { CitedPassage, SuggestionRequest, SuggestionSource } from './suggestion-source.js';

/** What this source needs of the knowledge base (KnowledgeBase satisfies it). */
export interface PassageNeighbours {
  nearby(docId: string, chunkId: string, radius: number): KbNeighbour[];
}

/** Places around each cited passage looked at: the sections a reader would turn to next. */
const RADIUS = 3;

/**
 * Suggestions without a model (offline mode, or when the model call failed): the section
 * headings just after, then just before, the passages the answer cited — in document order,
 * nearest first — turned into questions. Deterministic, in memory, no I/O. Sections the answer
 * already quoted are skipped; an answer that cited nothing gets none.
 *
 * @example
 * // cited: 售后政策 › 退货；the next section is "换货"
 * await source.suggest({ question: '退货的期限？', answer, cited }, signal) // ['「换货」是怎样的？']
 */
export class KbSuggestionSource implements SuggestionSource {
  readonly name = 'knowledge-base';
  readonly generated = false;

  constructor(private readonly kb: PassageNeighbours) {}

  async suggest(request: SuggestionRequest): Promise<string[]> {
    const quoted = new Set(request.cited.map((passage) => headingOf(passage)));
    const candidates: string[] = [];
    for (const passage of request.cited) {
      for (const neighbour of readingOrder(this.kb.nearby(passage.docId, passage.chunkId, RADIUS))) {
        const heading = headingOf(neighbour);
        if (heading === '' || quoted.has(heading)) continue;
        candidates.push(headingQuestion(heading));
      }
    }
    return cleanSuggestions(candidates, request.question);
  }
}

/** After the passage first (reading on), nearest first; then before it, nearest first. */
function readingOrder(neighbours: KbNeighbour[]): KbNeighbour[] {
  const after = neighbours.filter((n) => n.offset > 0).sort((a, b) => a.offset - b.offset);
  const before = neighbours.filter((n) => n.offset < 0).sort((a, b) => b.offset - a.offset);
  return [...after, ...before];
}

/** The passage's own (innermost) heading; '' for text above the first heading. */
function headingOf(passage: Pick<CitedPassage, 'headingPath'>): string {
  return (passage.headingPath.at(-1) ?? '').trim();
}

const QUESTION_START = /^(?:为什么|为何|怎样|怎么|如何|什么|哪|是否|能否|能不能|是不是|可以|可否|有没有)/u;
const TROUBLE = /(?:报错|错误|失败|断开|无效|中断|异常|超时|连不上|打不开)/u;

/**
 * A heading as a question: "3.2 退货流程" → "「退货流程」是怎样的？", "连接过一会儿就断开" →
 * "连接过一会儿就断开怎么办？", "为什么要调大 proxy_read_timeout" → itself with "？". Too long
 * as a question: the heading text alone (cleanSuggestions drops what is still too long).
 */
export function headingQuestion(heading: string): string {
  const text = heading
    .replace(/^(?:\d+(?:\.\d+)*[.、．]?\s+|\d+(?:\.\d+)*[.、．]\s*|[一二三四五六七八九十]+[、．.]\s*|第[\d一二三四五六七八九十百]+[章节部分条]\s*)/u, '')
    .trim();
  let question: string;
  if (/[？?]$/u.test(text)) question = text;
  else if (QUESTION_START.test(text) || /[吗呢]$/u.test(text)) question = `${text}？`;
  else if (TROUBLE.test(text)) question = `${text}怎么办？`;
  else question = `「${text}」是怎样的？`;
  return Array.from(question).length <= MAX_SUGGESTION_CHARS ? question : text;
}
