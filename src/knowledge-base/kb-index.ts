import { ChunkIndex, type ChunkHit, type IndexedChunk, type RetrievalOptions } from './index/chunk-index.js';
import { decodeChunkTerms, encodeChunkTerms } from './index/chunk-terms.js';
import { createJiebaTokenizer, type Tokenizer } from './index/tokenizer.js';
import type { KbLogger } from './knowledge-base.js';
import type { ChunkTermsUpdate, KbStore, StoredChunk, StoredDocument } from './store/kb-store.js';

export type KbIndexedChunk = IndexedChunk & { embedHash: string };

/**
 * What the knowledge base holds in memory: the documents' records and the retrieval index
 * over their chunks, kept in step. Only the writer and the change follower modify it, one
 * change at a time (they share the writer's queue); searches read it between changes.
 */
export class KbIndex {
  readonly chunks: ChunkIndex<KbIndexedChunk>;
  private readonly docs = new Map<string, StoredDocument>();
  private readonly tokenizer: Tokenizer = createJiebaTokenizer();

  constructor(retrieval?: Partial<RetrievalOptions>) {
    this.chunks = new ChunkIndex<KbIndexedChunk>(this.tokenizer, retrieval);
  }

  /**
   * Builds the index from the store: stored vectors for `model` and stored terms are reused;
   * chunks stored without usable terms (an older database, a damaged entry) are tokenized and
   * their terms saved, once. Returns the chunks that have no vector for `model` yet (to
   * backfill); none when `model` is undefined.
   */
  async load(store: KbStore, model: string | undefined, logger?: KbLogger): Promise<StoredChunk[]> {
    for (const doc of await store.listDocuments()) this.docs.set(doc.id, doc);
    const vectors = model ? await store.getVectors(model) : new Map<string, Float32Array>();
    const computed: ChunkTermsUpdate[] = [];
    const missing: StoredChunk[] = [];
    await store.forEachChunk((c) => {
      const doc = this.docs.get(c.docId);
      if (doc) this.index(c, doc, vectors.get(c.embedHash), computed);
      if (model && !vectors.has(c.embedHash)) {
        delete c.terms; // backfill may hold these for minutes
        missing.push(c);
      }
    });
    this.chunks.commit();
    if (computed.length > 0) {
      logger?.info({ chunks: computed.length }, 'knowledge base: tokenized chunks stored without index terms; saving them');
      await saveTerms(store, computed, logger);
    }
    return missing;
  }

  /** The chunks with their terms computed, as the store keeps them (kb-writer.ts, before storing). */
  withTerms(doc: StoredDocument, chunks: readonly StoredChunk[]): StoredChunk[] {
    return chunks.map((c) => ({ ...c, terms: encodeChunkTerms(this.chunks.analyze(toIndexed(c, doc)), this.tokenizer, c.embedHash) }));
  }

  get size(): number {
    return this.chunks.size;
  }

  get documentCount(): number {
    return this.docs.size;
  }

  document(id: string): StoredDocument | undefined {
    return this.docs.get(id);
  }

  documents(): StoredDocument[] {
    return [...this.docs.values()];
  }

  /**
   * Replaces the document (if indexed) by this version of it. Returns the terms it had to
   * compute for chunks stored without them, for the caller to save (saveTerms).
   */
  put(doc: StoredDocument, chunks: readonly StoredChunk[], vectors?: ReadonlyMap<string, Float32Array>): ChunkTermsUpdate[] {
    this.chunks.removeDocument(doc.id);
    const computed: ChunkTermsUpdate[] = [];
    for (const c of chunks) this.index(c, doc, vectors?.get(c.embedHash), computed);
    this.docs.set(doc.id, doc);
    return computed;
  }

  /** false when it was not indexed. */
  remove(id: string): boolean {
    this.chunks.removeDocument(id);
    return this.docs.delete(id);
  }

  /** Attaches vectors to indexed chunks (embedding backfill); `fresh` is keyed by embedHash. */
  setVectors(chunks: readonly StoredChunk[], fresh: ReadonlyMap<string, Float32Array>): void {
    for (const c of chunks) {
      const vector = fresh.get(c.embedHash);
      if (vector && this.docs.has(c.docId)) this.chunks.setVectorFor(c.id, c.docId, vector);
    }
  }

  search(text: string, k: number, queryVector?: Float32Array): Array<ChunkHit<KbIndexedChunk>> {
    return this.chunks.search(text, k, queryVector);
  }

  /** The chunks around one chunk of a document, in document order (ChunkIndex.around). */
  around(docId: string, chunkId: string, radius: number): Array<{ chunk: KbIndexedChunk; offset: number }> {
    return this.chunks.around(docId, chunkId, radius);
  }

  /** Indexes one stored chunk from its persisted terms, or tokenizes it (noting the result in `computed`) when they are unusable. */
  private index(c: StoredChunk, doc: StoredDocument, vector: Float32Array | undefined, computed: ChunkTermsUpdate[]): void {
    const indexed = toIndexed(c, doc);
    let terms = decodeChunkTerms(c.terms, this.tokenizer, c.embedHash);
    if (!terms) {
      terms = this.chunks.analyze(indexed);
      computed.push({ chunkId: c.id, embedHash: c.embedHash, terms: encodeChunkTerms(terms, this.tokenizer, c.embedHash) });
    }
    this.chunks.add(indexed, vector, terms);
  }
}

/** Terms saved per transaction: a migration of 100k chunks never holds the write lock for long. */
const SAVE_GROUP = 2_000;

/** Saves computed terms so the next start reads them. A failure is only logged: they are computed again then. */
export async function saveTerms(store: KbStore, computed: readonly ChunkTermsUpdate[], logger?: KbLogger): Promise<void> {
  try {
    for (let i = 0; i < computed.length; i += SAVE_GROUP) await store.putChunkTerms(computed.slice(i, i + SAVE_GROUP));
  } catch (error) {
    logger?.warn({ err: error, chunks: computed.length }, 'knowledge base: saving index terms failed; they are recomputed at the next start');
  }
}

function toIndexed(c: StoredChunk, doc: StoredDocument): KbIndexedChunk {
  return { id: c.id, docId: c.docId, title: doc.title, source: doc.source, headingPath: c.headingPath, text: c.text, embedHash: c.embedHash };
}
