/**
 * Okapi BM25 over typed-array postings, in process. Sized for the 100k-chunk goal
 * (docs/knowledge-base.md): a query walks only the postings of its own terms, accumulating
 * into a preallocated score array, so latency grows with how common the query words are, not
 * with the corpus size as a whole.
 *
 * Updates are cheap and searches are fast because the two meet lazily: `add`/`remove` only
 * queue changes, and the next `search` rebuilds the compressed postings once (O(postings),
 * ~0.1 s at 100k chunks). Bulk loads therefore cost one rebuild, not one per document.
 */

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

// Slot states. A removed slot keeps stale postings until the next commit, so it is never reused.
const NEVER_USED = 0;
const LIVE = 1;
const REMOVED = 2;

interface PendingDoc {
  terms: Int32Array;
  tfs: Float32Array;
}

export class Bm25Index {
  private readonly params: Bm25Params;
  private readonly termIds = new Map<string, number>();
  // Compressed postings (CSR): term t owns postDocs/postTf[offsets[t] .. offsets[t+1]).
  private offsets = new Int32Array(1);
  private postDocs = new Int32Array(0);
  private postTf = new Float32Array(0);
  // Per slot. Slots are chosen by the caller and never reused while this index lives.
  private docLen = new Float32Array(1024);
  private docNorm = new Float32Array(1024);
  private state = new Uint8Array(1024); // NEVER_USED | LIVE | REMOVED
  private idf = new Float32Array(0);
  private pending = new Map<number, PendingDoc>();
  private removedSinceBuild = 0;
  private liveCount = 0;
  private lengthSum = 0;
  // Scratch for search, sized to the slot capacity.
  private acc = new Float64Array(1024);
  private matched = new Uint32Array(1024);
  private touched = new Int32Array(1024);
  // Per term id, for add(): accumulates one chunk's weighted frequencies without a Map per chunk.
  private scratchTf: Float64Array = new Float64Array(1024);

  constructor(params: Partial<Bm25Params> = {}) {
    this.params = { k1: params.k1 ?? 1.2, b: params.b ?? 0.75 };
  }

  /** Live documents. */
  get size(): number {
    return this.liveCount;
  }

  /**
   * Indexes `slot`. Each field is a term list with a weight per occurrence (a title word can
   * count more than a body word); the chunk's BM25 length is the weighted total. The slot must
   * never have been used before: removed slots are not reused.
   */
  add(slot: number, fields: ReadonlyArray<{ terms: readonly string[]; weight: number }>): void {
    if (slot < this.state.length && this.state[slot] !== NEVER_USED) throw new Error(`BM25 slot ${slot} was used before`);
    this.ensureCapacity(slot + 1);
    const { termIds } = this;
    const ids: number[] = [];
    let length = 0;
    for (const { terms, weight } of fields) {
      if (weight <= 0) continue;
      for (const term of terms) {
        let id = termIds.get(term);
        if (id === undefined) {
          id = termIds.size;
          termIds.set(term, id);
        }
        if (id >= this.scratchTf.length) this.scratchTf = growTo(this.scratchTf, id + 1);
        if (this.scratchTf[id] === 0) ids.push(id);
        this.scratchTf[id]! += weight;
        length += weight;
      }
    }
    const tfs = new Float32Array(ids.length);
    for (let i = 0; i < ids.length; i++) {
      tfs[i] = this.scratchTf[ids[i]!]!;
      this.scratchTf[ids[i]!] = 0;
    }
    this.pending.set(slot, { terms: Int32Array.from(ids), tfs });
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
    const counts = new Int32Array(termCount + 1);
    const { offsets, postDocs, state } = this;
    const oldTerms = offsets.length - 1;
    for (let t = 0; t < oldTerms; t++) {
      let n = 0;
      for (let p = offsets[t]!; p < offsets[t + 1]!; p++) if (state[postDocs[p]!] === LIVE) n++;
      counts[t] = n;
    }
    for (const doc of this.pending.values()) for (const t of doc.terms) counts[t]!++;
    const next = new Int32Array(termCount + 1);
    for (let t = 0; t < termCount; t++) next[t + 1] = next[t]! + counts[t]!;
    const docs = new Int32Array(next[termCount]!);
    const tf = new Float32Array(next[termCount]!);
    const fill = next.slice(0, termCount);
    for (let t = 0; t < oldTerms; t++) {
      for (let p = offsets[t]!; p < offsets[t + 1]!; p++) {
        const d = postDocs[p]!;
        if (state[d] !== LIVE) continue;
        const at = fill[t]!++;
        docs[at] = d;
        tf[at] = this.postTf[p]!;
      }
    }
    for (const [slot, doc] of this.pending) {
      for (let i = 0; i < doc.terms.length; i++) {
        const at = fill[doc.terms[i]!]!++;
        docs[at] = slot;
        tf[at] = doc.tfs[i]!;
      }
    }
    this.offsets = next;
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
      const df = id === undefined ? 0 : this.offsets[id + 1]! - this.offsets[id]!;
      return { term, qtf, id: df > 0 ? id! : -1, idf: df > 0 ? this.idf[id!]! : Infinity };
    });
    query.sort((x, y) => y.idf - x.idf);
    if (query.length > MAX_QUERY_TERMS) query.length = MAX_QUERY_TERMS;
    const terms = query.map((q) => q.term);
    if (k <= 0 || this.liveCount === 0) return { terms, hits: [] };

    const { acc, matched, touched, postDocs, postTf, docNorm, offsets } = this;
    const k1p1 = this.params.k1 + 1;
    let touchedCount = 0;
    for (let qi = 0; qi < query.length; qi++) {
      const { id, idf, qtf } = query[qi]!;
      if (id < 0) continue;
      const weight = idf * qtf * k1p1;
      const bit = 1 << qi;
      for (let p = offsets[id]!, end = offsets[id + 1]!; p < end; p++) {
        const d = postDocs[p]!;
        const tf = postTf[p]!;
        if (matched[d] === 0) touched[touchedCount++] = d;
        acc[d]! += (weight * tf) / (tf + docNorm[d]!);
        matched[d]! |= bit;
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

  /** Approximate bytes held by the postings and per-slot arrays (not the term dictionary). */
  byteSize(): number {
    return (
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

/** Indexes of the k largest `scores[touched[i]]`, best first, via a k-sized min-heap. */
function topK(scores: Float64Array, touched: Int32Array, count: number, k: number): number[] {
  const heap: number[] = [];
  const less = (a: number, b: number) => scores[a]! < scores[b]! || (scores[a] === scores[b] && a > b);
  for (let i = 0; i < count; i++) {
    const d = touched[i]!;
    if (heap.length < k) {
      heap.push(d);
      let c = heap.length - 1;
      while (c > 0) {
        const p = (c - 1) >> 1;
        if (!less(heap[c]!, heap[p]!)) break;
        [heap[c], heap[p]] = [heap[p]!, heap[c]!];
        c = p;
      }
    } else if (less(heap[0]!, d)) {
      heap[0] = d;
      let p = 0;
      for (;;) {
        const l = 2 * p + 1;
        const r = l + 1;
        let m = p;
        if (l < heap.length && less(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && less(heap[r]!, heap[m]!)) m = r;
        if (m === p) break;
        [heap[m], heap[p]] = [heap[p]!, heap[m]!];
        p = m;
      }
    }
  }
  return heap.sort((a, b) => (less(a, b) ? 1 : less(b, a) ? -1 : 0));
}

function growTo(a: Float64Array, size: number): Float64Array {
  let capacity = a.length;
  while (capacity < size) capacity *= 2;
  const b = new Float64Array(capacity);
  b.set(a);
  return b;
}
