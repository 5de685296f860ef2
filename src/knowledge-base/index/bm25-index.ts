/**
 * Okapi BM25 over typed-array postings, in process. Sized for the 100k-chunk goal
 * (docs/knowledge-base.md): a query walks only the postings of its own terms, accumulating
 * into a preallocated score array, so latency grows with how common the query words are, not
 * with the corpus size as a whole.
 *
 * Updates are cheap and searches are fast because the two meet lazily: `add`/`remove` only
 * queue changes, and the next `search` rebuilds the compressed postings once (O(postings),
 * ~1–2 s at 100k chunks). Bulk loads therefore cost one rebuild, not one per document.
 */

import { mergePostings, type PendingDoc } from './merge-postings.js';
import { TermTable } from './term-table.js';
import { findPosting, kthScore, topK } from './top-k.js';

export interface Bm25Params {
  /** Term-frequency saturation. 1.2 is the textbook default. */
  k1: number;
  /** Length normalisation, 0 (none) … 1 (full). */
  b: number;
}

export interface Bm25Hit {
  slot: number;
  score: number;
  /** Bit i set ⇔ `Bm25Result.terms[i]` occurs in the chunk (relevance.ts turns this into a 0…1 share). */
  matched: number;
}

export interface Bm25Result {
  /** The distinct query terms considered, at most 32, rarest first. */
  terms: string[];
  hits: Bm25Hit[];
}

/** Query terms beyond this many (the rarest are kept) are ignored: the match bitmask is 32 bits. */
const MAX_QUERY_TERMS = 32;

// Slot states (0: never used). A removed slot keeps stale postings until the next commit.
const LIVE = 1;
const REMOVED = 2;

export class Bm25Index {
  private readonly params: Bm25Params;
  private readonly termIds = new TermTable();
  // Compressed postings (CSR): term t owns postDocs/postTf[offsets[t] .. offsets[t+1]).
  private offsets: Int32Array = new Int32Array(1);
  private postDocs: Int32Array = new Int32Array(0);
  private postTf: Float32Array = new Float32Array(0);
  // Per slot. Slots are chosen by the caller, increasing, so never reused while this index lives.
  private docLen = new Float32Array(1024);
  private docNorm = new Float32Array(1024);
  private state = new Uint8Array(1024); // 0 | LIVE | REMOVED
  private idf = new Float32Array(0);
  private pending = new Map<number, PendingDoc>();
  private removedSinceBuild = 0;
  private lastSlot = -1;
  /** Per term: the largest tf / (tf + norm) over its postings, i.e. its best possible contribution / (idf · (k1+1)). */
  private termMax = new Float32Array(0);
  private liveCount = 0;
  private lengthSum = 0;
  // Scratch for search, sized to the slot capacity.
  private acc = new Float64Array(1024);
  private matched = new Uint32Array(1024);
  private touched = new Int32Array(1024);

  constructor(params: Partial<Bm25Params> = {}) {
    this.params = { k1: params.k1 ?? 1.2, b: params.b ?? 0.75 };
  }

  /** Live documents. */
  get size(): number {
    return this.liveCount;
  }

  /** Distinct terms seen (including those of removed documents, until restart). */
  get termCount(): number {
    return this.termIds.size;
  }

  /**
   * Indexes `slot`. Each field holds its distinct terms as (h1, h2, tf) triples (chunk-terms.ts)
   * and a weight per occurrence (a title word can count more than a body word); the chunk's
   * BM25 length is the weighted total. Slots must increase from one call to the next (removed
   * slots are therefore never reused).
   */
  add(slot: number, fields: ReadonlyArray<{ terms: Int32Array; weight: number }>): void {
    // Increasing slots keep every posting list sorted by slot, which search's pruning relies on.
    if (slot <= this.lastSlot) throw new Error(`BM25 slots must increase: ${slot} after ${this.lastSlot}`);
    this.lastSlot = slot;
    this.ensureCapacity(slot + 1);
    const { termIds } = this;
    let total = 0;
    for (const f of fields) if (f.weight > 0) total += f.terms.length / 3;
    const ids = new Int32Array(total);
    const tfs = new Float32Array(total);
    let n = 0;
    let length = 0;
    for (const { terms, weight } of fields) {
      if (weight <= 0) continue;
      // A field's terms are distinct; only a term also in an earlier field (a title word in
      // the body) is merged, by a scan of those few earlier entries: no per-term scratch table.
      const earlier = n;
      for (let i = 0; i < terms.length; i += 3) {
        const id = termIds.internHash(terms[i]!, terms[i + 1]!);
        const tf = terms[i + 2]! * weight;
        length += tf;
        let j = 0;
        while (j < earlier && ids[j] !== id) j++;
        if (j < earlier) tfs[j]! += tf;
        else {
          ids[n] = id;
          tfs[n++] = tf;
        }
      }
    }
    this.pending.set(slot, { terms: ids.subarray(0, n), tfs: tfs.subarray(0, n) });
    this.state[slot] = LIVE;
    this.docLen[slot] = length;
    this.lengthSum += length;
    this.liveCount++;
  }

  remove(slot: number): boolean {
    if (slot >= this.state.length || this.state[slot] !== LIVE) return false;
    this.state[slot] = REMOVED;
    this.lengthSum -= this.docLen[slot]!;
    this.liveCount--;
    if (!this.pending.delete(slot)) this.removedSinceBuild++;
    return true;
  }

  /** Folds queued changes into the postings now instead of on the next search. */
  commit(): void {
    if (this.pending.size === 0 && this.removedSinceBuild === 0) return;
    const termCount = this.termIds.size;
    const { offsets, docs, tf, counts } = mergePostings(
      { offsets: this.offsets, docs: this.postDocs, tf: this.postTf },
      this.state,
      LIVE,
      this.pending,
      termCount,
    );
    this.offsets = offsets;
    this.postDocs = docs;
    this.postTf = tf;
    this.pending.clear();
    this.removedSinceBuild = 0;

    // IDF and length norms depend on the whole corpus, so they are recomputed here, once.
    const n = this.liveCount;
    this.idf = new Float32Array(termCount);
    for (let t = 0; t < termCount; t++) {
      const df = counts[t]!;
      this.idf[t] = df > 0 ? Math.log(1 + (n - df + 0.5) / (df + 0.5)) : 0;
    }
    const avg = n > 0 ? this.lengthSum / n : 1;
    const { k1, b } = this.params;
    for (let d = 0; d < this.state.length; d++) {
      if (this.state[d] === LIVE) this.docNorm[d] = k1 * (1 - b + (b * this.docLen[d]!) / avg);
    }
    this.termMax = new Float32Array(termCount);
    for (let t = 0; t < termCount; t++) {
      let max = 0;
      for (let p = offsets[t]!; p < offsets[t + 1]!; p++) {
        const f = tf[p]!;
        const c = f / (f + this.docNorm[docs[p]!]!);
        if (c > max) max = c;
      }
      this.termMax[t] = max;
    }
  }

  /** The `k` best slots for the query terms (as produced by the same tokenizer), best first. */
  search(queryTerms: readonly string[], k: number): Bm25Result {
    this.commit();
    const counts = new Map<string, number>();
    for (const term of queryTerms) counts.set(term, (counts.get(term) ?? 0) + 1);
    // Terms the corpus lacks rank as rarest: they cannot match, but they stay in `terms` so a
    // relevance measure sees that part of the question went unanswered.
    const query = [...counts].map(([term, qtf]) => {
      const id = this.termIds.get(term);
      // ids beyond the postings belong to terms added since the last commit: none here, as search commits first
      const df = id < 0 || id + 1 >= this.offsets.length ? 0 : this.offsets[id + 1]! - this.offsets[id]!;
      return { term, qtf, id: df > 0 ? id : -1, idf: df > 0 ? this.idf[id]! : Infinity };
    });
    query.sort((x, y) => y.idf - x.idf);
    if (query.length > MAX_QUERY_TERMS) query.length = MAX_QUERY_TERMS;
    const terms = query.map((q) => q.term);
    if (k <= 0 || this.liveCount === 0) return { terms, hits: [] };

    const { acc, matched, touched, postDocs, postTf, docNorm, offsets } = this;
    const k1p1 = this.params.k1 + 1;
    // MaxScore (Turtle & Flood 1995): rarest terms first, walking whole posting lists; once the
    // best any untouched chunk could still gain (`remaining`) is below the current k-th score,
    // no new chunk can enter the top k, and the common terms left (的, 是, 什么…, the longest
    // lists) are only looked up for the chunks that still can. Same top k as scoring exhaustively.
    const bound = query.map((q) => (q.id < 0 ? 0 : q.idf * q.qtf * k1p1 * this.termMax[q.id]!));
    let remaining = bound.reduce((a, b) => a + b, 0);
    let touchedCount = 0;
    let qi = 0;
    for (; qi < query.length; qi++) {
      const { id, idf, qtf } = query[qi]!;
      if (id < 0) continue;
      // The check costs a pass over the touched chunks: worth it only before a list at least half as long.
      const df = offsets[id + 1]! - offsets[id]!;
      if (touchedCount >= k && df * 2 >= touchedCount && remaining < kthScore(acc, touched, touchedCount, k)) break;
      const weight = idf * qtf * k1p1;
      const bit = 1 << qi;
      for (let p = offsets[id]!, end = offsets[id + 1]!; p < end; p++) {
        const d = postDocs[p]!;
        const tf = postTf[p]!;
        if (matched[d] === 0) touched[touchedCount++] = d;
        acc[d]! += (weight * tf) / (tf + docNorm[d]!);
        matched[d]! |= bit;
      }
      remaining -= bound[qi]!;
    }
    if (qi < query.length) {
      const theta = kthScore(acc, touched, touchedCount, k);
      const candidates: number[] = [];
      for (let i = 0; i < touchedCount; i++) if (acc[touched[i]!]! + remaining >= theta) candidates.push(touched[i]!);
      for (; qi < query.length; qi++) {
        const { id, idf, qtf } = query[qi]!;
        if (id < 0) continue;
        const weight = idf * qtf * k1p1;
        const bit = 1 << qi;
        for (const d of candidates) {
          const p = findPosting(postDocs, offsets[id]!, offsets[id + 1]!, d);
          if (p < 0) continue;
          const tf = postTf[p]!;
          acc[d]! += (weight * tf) / (tf + docNorm[d]!);
          matched[d]! |= bit;
        }
      }
    }

    const hits = topK(acc, touched, touchedCount, k).map((slot) => ({ slot, score: acc[slot]!, matched: matched[slot]! }));
    for (let i = 0; i < touchedCount; i++) {
      const d = touched[i]!;
      acc[d] = 0;
      matched[d] = 0;
    }
    return { terms, hits };
  }

  /** Approximate bytes held by the postings, the term table and the per-slot arrays. */
  byteSize(): number {
    return (
      this.termIds.byteSize() +
      this.postDocs.byteLength +
      this.postTf.byteLength +
      this.offsets.byteLength +
      this.idf.byteLength +
      this.state.length * (4 + 4 + 1 + 8 + 4 + 4)
    );
  }

  private ensureCapacity(size: number): void {
    if (size <= this.state.length) return;
    let capacity = this.state.length;
    while (capacity < size) capacity *= 2;
    const grow = <T extends Float32Array | Float64Array | Uint8Array | Uint32Array | Int32Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(capacity);
      b.set(a);
      return b;
    };
    this.docLen = grow(this.docLen);
    this.docNorm = grow(this.docNorm);
    this.state = grow(this.state);
    this.acc = grow(this.acc);
    this.matched = grow(this.matched);
    this.touched = grow(this.touched);
  }
}
