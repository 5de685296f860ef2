import { ChunkIndex, type ChunkHit, type IndexedChunk, type RetrievalOptions } from './index/chunk-index.js';
import { createJiebaTokenizer } from './index/tokenizer.js';
import type { KbStore, StoredChunk, StoredDocument } from './store/kb-store.js';

export type KbIndexedChunk = IndexedChunk & { embedHash: string };

/**
 * What the knowledge base holds in memory: the documents' records and the retrieval index
 * over their chunks, kept in step. Only the writer and the change follower modify it, one
 * change at a time (they share the writer's queue); searches read it between changes.
 */
export class KbIndex {
  readonly chunks: ChunkIndex<KbIndexedChunk>;
  private readonly docs = new Map<string, StoredDocument>();

  constructor(retrieval?: Partial<RetrievalOptions>) {
    this.chunks = new ChunkIndex<KbIndexedChunk>(createJiebaTokenizer(), retrieval);
  }

  /**
   * Builds the index from the store: stored vectors for `model` are reused. Returns the chunks
   * that have no vector for it yet (to backfill) — all of them when `model` is undefined.
   */
  async load(store: KbStore, model: string | undefined): Promise<StoredChunk[]> {
    for (const doc of await store.listDocuments()) this.docs.set(doc.id, doc);
    const stored = await store.listChunks();
    const vectors = model ? await store.getVectors(model) : new Map<string, Float32Array>();
    for (const c of stored) {
      const doc = this.docs.get(c.docId);
      if (doc) this.chunks.add(toIndexed(c, doc), vectors.get(c.embedHash));
    }
    this.chunks.commit();
    return stored.filter((c) => !vectors.has(c.embedHash));
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

  /** Replaces the document (if indexed) by this version of it. */
  put(doc: StoredDocument, chunks: readonly StoredChunk[], vectors?: ReadonlyMap<string, Float32Array>): void {
    this.chunks.removeDocument(doc.id);
    for (const c of chunks) this.chunks.add(toIndexed(c, doc), vectors?.get(c.embedHash));
    this.docs.set(doc.id, doc);
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
}

function toIndexed(c: StoredChunk, doc: StoredDocument): KbIndexedChunk {
  return { id: c.id, docId: c.docId, title: doc.title, source: doc.source, headingPath: c.headingPath, text: c.text, embedHash: c.embedHash };
}
