/** The compressed postings (CSR) of bm25-index.ts: term t owns docs/tf[offsets[t] .. offsets[t+1]). */
export interface Postings {
  offsets: Int32Array;
  docs: Int32Array;
  tf: Float32Array;
}

/** A document added since the last merge: its distinct term ids and their weighted counts. */
export interface PendingDoc {
  terms: Int32Array;
  tfs: Float32Array;
}

/**
 * The postings with removed slots dropped and `pending` appended, plus each term's document
 * count. O(postings), one pass to count and one to fill. `pending` must iterate in increasing
 * slot order (it is a Map filled in slot order), which keeps every posting list sorted.
 */
export function mergePostings(
  old: Postings,
  /** per slot; postings of slots whose state is not `live` are dropped */
  state: Uint8Array,
  live: number,
  pending: ReadonlyMap<number, PendingDoc>,
  termCount: number,
): Postings & { counts: Int32Array } {
  const counts = new Int32Array(termCount + 1);
  const oldTerms = old.offsets.length - 1;
  for (let t = 0; t < oldTerms; t++) {
    let n = 0;
    for (let p = old.offsets[t]!; p < old.offsets[t + 1]!; p++) if (state[old.docs[p]!] === live) n++;
    counts[t] = n;
  }
  for (const doc of pending.values()) for (const t of doc.terms) counts[t]!++;
  const offsets = new Int32Array(termCount + 1);
  for (let t = 0; t < termCount; t++) offsets[t + 1] = offsets[t]! + counts[t]!;
  const docs = new Int32Array(offsets[termCount]!);
  const tf = new Float32Array(offsets[termCount]!);
  const fill = offsets.slice(0, termCount);
  for (let t = 0; t < oldTerms; t++) {
    for (let p = old.offsets[t]!; p < old.offsets[t + 1]!; p++) {
      const d = old.docs[p]!;
      if (state[d] !== live) continue;
      const at = fill[t]!++;
      docs[at] = d;
      tf[at] = old.tf[p]!;
    }
  }
  for (const [slot, doc] of pending) {
    for (let i = 0; i < doc.terms.length; i++) {
      const at = fill[doc.terms[i]!]!++;
      docs[at] = slot;
      tf[at] = doc.tfs[i]!;
    }
  }
  return { offsets, docs, tf, counts };
}
