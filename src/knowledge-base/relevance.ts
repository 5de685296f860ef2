import { backgroundIdf } from './index/background-idf.js';

/**
 * How much of a question a passage answers, 0…1, for deciding whether to quote it at all.
 * BM25 scores only rank: they grow with query length and corpus statistics, so no fixed
 * cut-off works across questions. `relevance` is instead the share of the question's
 * information (its words weighted by general-Chinese IDF, see background-idf.ts) that occurs
 * in the passage: 1 = every word of the question is in it; "你好" or "的" missing costs little,
 * "域名" missing costs a lot. With embeddings on, a passage found only by meaning gets its
 * cosine similarity (clamped to 0…1) instead, and a passage found both ways the larger of the two.
 *
 * Calibration (`npm run eval:retrieval` prints the table): of the CMRC 2018 dev questions whose
 * top chunk is correct, 99.9% have relevance ≥ 0.3 (98.3% ≥ 0.4, 93% ≥ 0.5); the same 1,314
 * questions asked of the unrelated sample knowledge base reach 0.3 for 0.8% of their top hits
 * (3.8% at 0.2, 0.1% at 0.4). Real users paraphrase more than CMRC's annotators, so err low.
 */
export const DEFAULT_MIN_RELEVANCE = 0.3;

/**
 * @example
 * const passages = (await kb.search(question, { k: 5 })).filter((h) => isRelevant(h));
 * if (passages.length === 0) answerWithoutKnowledgeBase();
 */
export function isRelevant(hit: { relevance: number }, minRelevance = DEFAULT_MIN_RELEVANCE): boolean {
  return hit.relevance >= minRelevance;
}

/** IDF-weighted share of `terms` whose bit is set in `matched` (bit i ↔ terms[i]). */
export function lexicalRelevance(terms: readonly string[], matched: number): number {
  let total = 0;
  let covered = 0;
  for (let i = 0; i < terms.length; i++) {
    const weight = backgroundIdf(terms[i]!);
    total += weight;
    if (matched & (1 << i)) covered += weight;
  }
  return total > 0 ? covered / total : 0;
}
