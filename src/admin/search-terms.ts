import type { Tokenizer } from '../knowledge-base/index/tokenizer.js';

/**
 * Text ↔ FTS5. Documents and queries go through the same tokenizer (the knowledge base's jieba
 * one), and the index sees only its terms joined by spaces, so FTS5's own tokenizer never
 * decides where a Chinese word ends.
 */

/**
 * Adds the terms of `text` to a conversation's set. The index keeps each term once per
 * conversation, space-separated: a search asks which conversations hold every term of the
 * query (nothing ranks by how often), and a conversation's set grows by its new messages alone.
 */
export function addTerms(tokenizer: Tokenizer, text: string, into: Set<string>): void {
  for (const term of tokenizer.terms(text)) into.add(term);
}

/**
 * An FTS5 MATCH expression requiring every term of a query (its `terms`, as the tokenizer cut
 * it), or undefined when it has none (only punctuation). Each term is a quoted string with its
 * quotes doubled, so nothing a user types (AND, NEAR, *, ^, column filters, quotes) is read as
 * FTS5 syntax.
 *
 * @example
 * matchExpression(jieba.terms('退货 "政策" OR')) // '"退货" "政策" "or"'
 */
export function matchExpression(terms: readonly string[]): string | undefined {
  const distinct = [...new Set(terms)];
  if (distinct.length === 0) return undefined;
  return distinct.map((term) => `"${term.replace(/"/g, '""')}"`).join(' ');
}

/**
 * A short excerpt of `text` around its first occurrence of any of `needles` (case- and
 * width-insensitive), or undefined when none occurs.
 */
export function snippetOf(text: string, needles: readonly string[], width = 60): string | undefined {
  const folded = text.normalize('NFKC').toLowerCase();
  let at = -1;
  let length = 0;
  for (const needle of needles) {
    const i = folded.indexOf(needle);
    if (i >= 0 && (at < 0 || i < at)) {
      at = i;
      length = needle.length;
    }
  }
  if (at < 0) return undefined;
  // NFKC can change lengths; the excerpt is taken from the folded text so offsets agree.
  const start = Math.max(0, at - Math.floor((width - length) / 2));
  const end = Math.min(folded.length, start + width);
  const source = folded.length === text.length ? text : folded;
  return `${start > 0 ? '…' : ''}${source.slice(start, end).replace(/\s+/g, ' ')}${end < folded.length ? '…' : ''}`;
}
