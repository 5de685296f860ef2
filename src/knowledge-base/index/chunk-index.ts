import { lexicalRelevance } from '../relevance.js';
import { Bm25Index } from './bm25-index.js';
import { analyzeChunk, type ChunkTerms } from './chunk-terms.js';
import { fuseRankings } from './fuse.js';
import type { Tokenizer } from './tokenizer.js';
import { VectorIndex } from './vector-index.js';

/** What the index needs to know about a chunk; returned as-is with each hit. */
export interface IndexedChunk {
  id: string;
  docId: string;
  title: string;
  source: string;
  headingPath: string[];
  text: string;
}

export interface RetrievalOptions {
  /** BM25 term-frequency saturation. */
  k1: number;
  /** BM25 length normalisation. */
  b: number;
  /** How many body occurrences one occurrence of a term in the document title is worth. */
  titleWeight: number;
  /** The same for the chunk's headings. */
  headingWeight: number;
  /** Hybrid only: candidates taken from each of BM25 and the vector index before fusing. */
  candidates: number;
  /** Hybrid only: reciprocal-rank-fusion constant. */
  rrfK: number;
}

export const DEFAULT_RETRIEVAL_OPTIONS: Readonly<RetrievalOptions> = Object.freeze({
  k1: 1.2,
  b: 0.75,
  titleWeight: 2,
  headingWeight: 2,
  candidates: 50,
  rrfK: 60,
});

export interface ChunkHit<C extends IndexedChunk = IndexedChunk> {
  chunk: C;
  /** ranking score: BM25, or the fused RRF score in hybrid mode */
  score: number;
  /** 0…1, see relevance.ts */
  relevance: number;
}

/**
 * The in-process retrieval index: BM25 over tokenized title + headings + text, plus, when
 * vectors are given, exact cosine search fused with it by RRF. Holds chunks by slot; slots of
 * removed chunks are not reused until the index is rebuilt at the next start.
 */
export class ChunkIndex<C extends IndexedChunk = IndexedChunk> {
  private readonly options: RetrievalOptions;
  private readonly bm25: Bm25Index;
  private vectors: VectorIndex | undefined;
  private readonly chunks: Array<C | undefined> = [];
  private readonly slotsByDoc = new Map<string, number[]>();

  constructor(
    private readonly tokenizer: Tokenizer,
    options: Partial<RetrievalOptions> = {},
  ) {
    this.options = { ...DEFAULT_RETRIEVAL_OPTIONS, ...options };
    this.bm25 = new Bm25Index({ k1: this.options.k1, b: this.options.b });
  }

  /** Live chunks. */
  get size(): number {
    return this.bm25.size;
  }

  /** Chunks that have a vector. */
  get vectorCount(): number {
    return this.vectors?.size ?? 0;
  }

  /**
   * Indexes the chunk. `terms` are its analyzed fields when known (persisted with the chunk,
   * chunk-terms.ts), which saves tokenizing it: the bulk of what indexing costs.
   */
  add(chunk: C, vector?: Float32Array, terms: ChunkTerms = this.analyze(chunk)): void {
    const slot = this.chunks.length;
    this.chunks.push(chunk);
    const slots = this.slotsByDoc.get(chunk.docId) ?? [];
    slots.push(slot);
    this.slotsByDoc.set(chunk.docId, slots);
    const { titleWeight, headingWeight } = this.options;
    const weights = [1, titleWeight, headingWeight]; // chunk-terms.ts FIELDS order
    this.bm25.add(slot, terms.map((field, i) => ({ terms: field, weight: weights[i] ?? 0 })));
    if (vector) this.setVector(slot, vector);
  }

  /** The chunk's terms per field, by this index's tokenizer. */
  analyze(chunk: Pick<IndexedChunk, 'title' | 'headingPath' | 'text'>): ChunkTerms {
    return analyzeChunk(this.tokenizer, chunk);
  }

  /** Attaches a vector to an already indexed chunk (embedding backfill). */
  setVectorFor(chunkId: string, docId: string, vector: Float32Array): void {
    for (const slot of this.slotsByDoc.get(docId) ?? []) if (this.chunks[slot]?.id === chunkId) this.setVector(slot, vector);
  }

  removeDocument(docId: string): number {
    const slots = this.slotsByDoc.get(docId) ?? [];
    for (const slot of slots) {
      this.bm25.remove(slot);
      this.vectors?.remove(slot);
      this.chunks[slot] = undefined;
    }
    this.slotsByDoc.delete(docId);
    return slots.length;
  }

  /**
   * The live chunks within `radius` places of `chunkId` in its document, in document order,
   * with their offset from it (-2, -1, 1, 2…); [] when it is not indexed. Reads the document's
   * slot list (kept in document order), so it costs one pass over one document's chunks.
   */
  around(docId: string, chunkId: string, radius: number): Array<{ chunk: C; offset: number }> {
    const slots = this.slotsByDoc.get(docId) ?? [];
    const at = slots.findIndex((slot) => this.chunks[slot]?.id === chunkId);
    if (at < 0) return [];
    const out: Array<{ chunk: C; offset: number }> = [];
    for (let i = Math.max(0, at - radius); i <= Math.min(slots.length - 1, at + radius); i++) {
      const chunk = i === at ? undefined : this.chunks[slots[i]!];
      if (chunk) out.push({ chunk, offset: i - at });
    }
    return out;
  }

  /** Folds pending changes into the BM25 postings now rather than on the next search. */
  commit(): void {
    this.bm25.commit();
  }

  /**
   * The best `k` chunks, best first. With `queryVector` (and vectors indexed) the result fuses
   * BM25 and cosine rankings; otherwise it is BM25 alone.
   */
  search(query: string, k: number, queryVector?: Float32Array): Array<ChunkHit<C>> {
    const terms = this.tokenizer.terms(query);
    const hybrid = queryVector !== undefined && this.vectors !== undefined && this.vectors.size > 0;
    const lexical = this.bm25.search(terms, hybrid ? Math.max(k, this.options.candidates) : k);
    const lexicalRelevanceBySlot = new Map(lexical.hits.map((h) => [h.slot, lexicalRelevance(lexical.terms, h.matched)]));
    if (!hybrid) {
      return lexical.hits.map((h) => ({ chunk: this.chunks[h.slot]!, score: h.score, relevance: lexicalRelevanceBySlot.get(h.slot)! }));
    }
    const semantic = this.vectors!.search(queryVector, Math.max(k, this.options.candidates));
    const cosineBySlot = new Map(semantic.map((h) => [h.slot, h.score]));
    const fused = fuseRankings(
      [lexical.hits.map((h) => h.slot), semantic.map((h) => h.slot)],
      { k: this.options.rrfK },
    );
    return fused.slice(0, k).map(({ slot, score }) => ({
      chunk: this.chunks[slot]!,
      score,
      relevance: Math.max(lexicalRelevanceBySlot.get(slot) ?? 0, Math.min(1, Math.max(0, cosineBySlot.get(slot) ?? 0))),
    }));
  }

  /** Approximate bytes of the index structures (not the chunk texts). */
  byteSize(): number {
    return this.bm25.byteSize() + (this.vectors ? this.vectors.dim * 4 * this.chunks.length : 0);
  }

  private setVector(slot: number, vector: Float32Array): void {
    if (!this.vectors) this.vectors = new VectorIndex(vector.length);
    if (vector.length !== this.vectors.dim) {
      throw new Error(`vector has ${vector.length} dimensions, the index ${this.vectors.dim}: was EMBEDDING_MODEL changed?`);
    }
    this.vectors.set(slot, vector);
  }
}
