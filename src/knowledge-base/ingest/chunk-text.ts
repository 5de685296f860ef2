import type { Block, ParsedDocument } from './parsed-document.js';
import { splitLongSentence, splitSentences } from './split-sentences.js';

export interface TextChunk {
  /** Headings above the chunk, outermost first, without the document title. */
  headingPath: string[];
  /** A verbatim span of the document (Q&A chunks: 问：…\n答：…). */
  text: string;
}

export interface ChunkOptions {
  /** Preferred chunk length in characters; a section is cut into pieces of about this size. */
  targetChars: number;
  /** Hard upper bound, except for Q&A pairs, which stay whole. A section this short is never cut. */
  maxChars: number;
  /** Whole sentences from the end of a chunk repeated at the start of the next, up to this many characters. */
  overlapChars: number;
}

/**
 * Defaults, in characters (a Chinese character is about 0.6–1 LLM token). 5 chunks of ≤ 600
 * characters keep a prompt's context under ~3k tokens while most sections of a FAQ or guide
 * stay whole; the overlap is about one sentence, so a fact that straddles a cut is still found
 * whole in one of the two chunks.
 */
export const DEFAULT_CHUNK_OPTIONS: Readonly<ChunkOptions> = Object.freeze({
  targetChars: 350,
  maxChars: 600,
  overlapChars: 120,
});

interface Unit {
  text: string;
  /** first unit of a paragraph: joined to the previous unit with a line break */
  paragraphStart: boolean;
}

/**
 * Chunks a parsed document: never across a heading (each chunk has one heading path for its
 * citation), within a section at sentence ends (。！？；…), balanced so a 700-character
 * section becomes two chunks of ~350 instead of 600 + 100. Q&A pairs are one chunk each.
 *
 * @example
 * chunkDocument(parseMarkdown('# 指南\n## 域名\n在开发设置里配置。'))
 * // → [{ headingPath: ['域名'], text: '在开发设置里配置。' }]
 */
export function chunkDocument(doc: ParsedDocument, options: Partial<ChunkOptions> = {}): TextChunk[] {
  const opts = { ...DEFAULT_CHUNK_OPTIONS, ...options };
  const chunks: TextChunk[] = [];
  const stack: Array<{ level: number; text: string }> = [];
  let units: Unit[] = [];
  let titleSkipped = false;
  const path = () => stack.map((h) => h.text);
  const flush = () => {
    for (const text of pack(units, opts)) chunks.push({ headingPath: path(), text });
    units = [];
  };

  for (const block of doc.blocks) {
    if (block.kind === 'heading') {
      flush();
      // The document's own title heading is the title, not part of every chunk's path.
      if (!titleSkipped && chunks.length === 0 && stack.length === 0 && block.level === 1 && block.text === doc.title) {
        titleSkipped = true;
        continue;
      }
      while (stack.length && stack[stack.length - 1]!.level >= block.level) stack.pop();
      stack.push({ level: block.level, text: block.text });
    } else if (block.kind === 'qa') {
      flush();
      chunks.push({ headingPath: path(), text: `问：${block.question}\n答：${block.answer}` });
    } else {
      units.push(...toUnits(block, opts.maxChars));
    }
  }
  flush();
  return chunks;
}

function toUnits(block: Extract<Block, { kind: 'paragraph' | 'code' }>, max: number): Unit[] {
  const pieces =
    block.kind === 'code'
      ? block.text.split(/(?<=\n)/)
      : splitSentences(block.text).flatMap((s) => (s.length > max ? splitLongSentence(s, max) : [s]));
  return pieces.filter((p) => p.length > 0).map((text, i) => ({ text, paragraphStart: i === 0 }));
}

function pack(units: readonly Unit[], opts: ChunkOptions): string[] {
  const lengthOf = (us: readonly Unit[]) => us.reduce((n, u, i) => n + u.text.length + (i > 0 && u.paragraphStart ? 1 : 0), 0);
  const total = lengthOf(units);
  if (total === 0) return [];
  if (total <= opts.maxChars) return [join(units)];

  const goal = total / Math.ceil(total / opts.targetChars);
  const out: string[] = [];
  let current: Unit[] = [];
  let fresh = 0; // units in `current` not already emitted as overlap
  for (let i = 0; i < units.length; i++) {
    const unit = units[i]!;
    if (fresh > 0 && lengthOf(current) + unit.text.length + 1 > opts.maxChars) {
      out.push(join(current));
      current = overlapTail(current, opts.overlapChars);
      fresh = 0;
    }
    if (current.length && lengthOf(current) + unit.text.length + 1 > opts.maxChars) current = [];
    current.push(unit);
    fresh++;
    const length = lengthOf(current);
    // Cut at the goal, unless the rest of the section fits in this chunk (no tiny tail chunk).
    if (length >= goal && length + lengthOf(units.slice(i + 1)) + 1 > opts.maxChars) {
      out.push(join(current));
      current = overlapTail(current, opts.overlapChars);
      fresh = 0;
    }
  }
  if (fresh > 0) out.push(join(current));
  return out;
}

function overlapTail(units: readonly Unit[], budget: number): Unit[] {
  const tail: Unit[] = [];
  let length = 0;
  for (let i = units.length - 1; i > 0; i--) {
    length += units[i]!.text.length;
    if (length > budget) break;
    tail.unshift(units[i]!);
  }
  return tail;
}

function join(units: readonly Unit[]): string {
  return units
    .map((u, i) => (i > 0 && u.paragraphStart ? `\n${u.text}` : u.text))
    .join('')
    .trim();
}
