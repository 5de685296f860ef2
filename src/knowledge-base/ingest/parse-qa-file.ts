import type { Block, ParsedDocument } from './parsed-document.js';
import { parseCsv } from './parse-csv.js';

/** Accepted column / key names, compared case-insensitively. */
const QUESTION_KEYS = ['question', 'q', 'query', '问题', '问', '标准问题'];
const ANSWER_KEYS = ['answer', 'a', 'reply', '答案', '答', '回答'];

/**
 * Q&A files → one `qa` block per pair, which the chunker keeps whole: an FAQ answer cut in
 * half is worse than a long chunk.
 *
 * - CSV: a header row naming the columns (question,answer or 问题,答案), then one pair per row.
 * - JSON: an array of {question, answer} objects, or an object holding one under any key
 *   (e.g. {"faq": [...]}). JSON Lines (.jsonl): one object per line.
 *
 * Throws Error with a Chinese message when the shape is wrong; rows missing either side are
 * skipped, and a file with no usable pair yields no blocks (the caller reports it as empty).
 */
export function parseQaFile(source: string, format: 'csv' | 'json' | 'jsonl'): ParsedDocument {
  const pairs = format === 'csv' ? fromCsv(source) : fromJson(source, format);
  const blocks: Block[] = [];
  for (const { question, answer } of pairs) {
    const q = question.trim();
    const a = answer.trim();
    if (q && a) blocks.push({ kind: 'qa', question: q, answer: a });
  }
  return { blocks };
}

function fromCsv(source: string): Array<{ question: string; answer: string }> {
  let rows: string[][];
  try {
    rows = parseCsv(source);
  } catch {
    throw new Error('CSV 格式错误：有未闭合的引号');
  }
  const header = rows[0]?.map((h) => h.trim().toLowerCase()) ?? [];
  const qi = header.findIndex((h) => QUESTION_KEYS.includes(h));
  const ai = header.findIndex((h) => ANSWER_KEYS.includes(h));
  if (rows.length > 0 && (qi < 0 || ai < 0)) {
    throw new Error('CSV 第一行需要是表头，并包含 question 和 answer 两列（或 问题、答案）');
  }
  return rows.slice(1).map((r) => ({ question: r[qi] ?? '', answer: r[ai] ?? '' }));
}

function fromJson(source: string, format: 'json' | 'jsonl'): Array<{ question: string; answer: string }> {
  let items: unknown;
  try {
    items =
      format === 'jsonl'
        ? source.split(/\r?\n/).filter((l) => l.trim()).map((l) => JSON.parse(l) as unknown)
        : (JSON.parse(source) as unknown);
  } catch (error) {
    throw new Error(`JSON 格式错误：${(error as Error).message}`);
  }
  if (items && typeof items === 'object' && !Array.isArray(items)) {
    items = Object.values(items).find(Array.isArray) ?? [];
  }
  if (!Array.isArray(items)) throw new Error('JSON 问答文件应是 [{"question": "…", "answer": "…"}] 形式的数组');
  return items.map((item) => ({ question: pick(item, QUESTION_KEYS), answer: pick(item, ANSWER_KEYS) }));
}

function pick(item: unknown, keys: readonly string[]): string {
  if (!item || typeof item !== 'object') return '';
  for (const [key, value] of Object.entries(item)) {
    if (keys.includes(key.toLowerCase()) && (typeof value === 'string' || typeof value === 'number')) return String(value);
  }
  return '';
}
