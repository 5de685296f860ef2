import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { backfillVectors } from './backfill-vectors.js';
import type { Embedder } from './embed/embedder.js';
import { findDocuments } from './find-documents.js';
import { followStoreChanges } from './follow-store-changes.js';
import type { RetrievalOptions } from './index/chunk-index.js';
import { DEFAULT_CHUNK_OPTIONS, type ChunkOptions } from './ingest/chunk-text.js';
import { createParsePool, type ParsePoolOptions } from './ingest/parse-pool.js';
import { KbIndex } from './kb-index.js';
import { createKbWriter } from './kb-writer.js';
import type { KbStore, StoredDocument } from './store/kb-store.js';

/** One retrieved passage, with what a citation needs. */
export interface KbHit {
  chunkId: string;
  docId: string;
  /** the document's title (its first # heading, <title>, PDF title, or file name) */
  title: string;
  /** where the document came from, e.g. "kb-sample/接入指南.md" */
  source: string;
  /** headings above the passage inside the document, outermost first */
  headingPath: string[];
  text: string;
  /** ranking score (BM25, or RRF when hybrid): compare only within one result list */
  score: number;
  /** 0…1, comparable across questions: how much of the question the passage covers (relevance.ts) */
  relevance: number;
}

/** A passage near another one in its document, without its text (e.g. for "read on" suggestions). */
export interface KbNeighbour {
  chunkId: string;
  title: string;
  headingPath: string[];
  /** its place relative to the passage asked about: -1 just before it, 1 just after it */
  offset: number;
}

export interface KbDocument {
  docId: string;
  name: string;
  source: string;
  title: string;
  chunks: number;
  /** sha256 of the file */
  hash: string;
  bytes: number;
  /** epoch milliseconds */
  addedAt: number;
}

export interface AddResult {
  docId: string;
  name: string;
  /** `unchanged`: same name and bytes as what is stored, nothing was done */
  status: 'added' | 'replaced' | 'unchanged';
  chunks: number;
}

export interface AddOptions {
  /** The document's identity: re-adding the same name replaces it. Default: the file name. */
  displayName?: string;
  /** Shown in citations. Default: the name. */
  source?: string;
}

/**
 * The knowledge base: the one object the rest of the gateway uses for retrieval-augmented
 * answers. Writes are serialised; a failed add (bad file, embedding outage) changes nothing.
 */
export interface KnowledgeBase {
  /** Ranked passages, best first (k defaults to 5). Never throws for a bad query: [] instead. */
  search(query: string, options?: { k?: number }): Promise<KbHit[]>;
  addFile(path: string, options?: AddOptions): Promise<AddResult>;
  /** For uploads: `name` carries the extension that selects the parser. */
  addBuffer(name: string, data: Buffer, options?: Omit<AddOptions, 'displayName'>): Promise<AddResult>;
  listDocuments(): Promise<KbDocument[]>;
  /**
   * By id, name or source; failing those, by the end of the name (`售后政策.md` finds
   * `kb-sample/售后政策.md`). false when nothing, or more than one document, matched:
   * findDocuments says which.
   */
  removeDocument(docIdOrName: string): Promise<boolean>;
  /** The documents `ref` names, as removeDocument matches them: one, none, or the ambiguous candidates. */
  findDocuments(ref: string): Promise<KbDocument[]>;
  /**
   * The passages within `radius` places of `chunkId` in document `docId`, in document order,
   * itself excluded; [] when the passage is gone. In memory, no I/O.
   */
  nearby(docId: string, chunkId: string, radius: number): KbNeighbour[];
  /** Chunk count. */
  size(): number;
  close(): Promise<void>;
}

export interface KbLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface OpenKnowledgeBaseOptions {
  /** Where documents, chunks and vectors live (the composition root picks the driver). */
  store: KbStore;
  /** Enables hybrid retrieval; chunks are embedded at ingest and missing vectors at open. */
  embedder?: Embedder;
  logger?: KbLogger;
  retrieval?: Partial<RetrievalOptions>;
  chunking?: Partial<ChunkOptions>;
  /** Larger files are refused. Default 50 MB. */
  maxDocumentBytes?: number;
  /** Bound on the query's embedding call before falling back to BM25 alone, milliseconds. Default 3000. */
  queryEmbeddingTimeoutMs?: number;
  /** Parsing off the event loop: worker count, per-document time limit. */
  parsing?: ParsePoolOptions;
  /**
   * How often to look for documents other processes (the `kb` CLI) added or removed in the
   * store, milliseconds. Default 2000; 0 turns it off.
   */
  syncIntervalMs?: number;
}

/** Queries longer than this are cut: a pasted essay must not cost a 10k-term posting walk. */
const MAX_QUERY_CHARS = 1_000;

/**
 * Opens the knowledge base and builds its in-memory index from the store (no re-embedding:
 * stored vectors are reused; only chunks lacking a vector for the embedder's model are
 * embedded, e.g. after EMBEDDING_MODEL was first set). Closing it closes the store.
 *
 * @example
 * const kb = await openKnowledgeBase({ store: openSqliteKbStore(join(dataDir, 'kb.sqlite')), logger });
 * const hits = await kb.search('socket 合法域名怎么配置？');
 */
export async function openKnowledgeBase(options: OpenKnowledgeBaseOptions): Promise<KnowledgeBase> {
  const { store, embedder, logger } = options;
  const index = new KbIndex(options.retrieval);
  const started = performance.now();
  // Read before loading: a write landing during the load is then applied again, never missed.
  const generation = await store.generation();
  const missing = await index.load(store, embedder?.model, logger);
  logger?.info(
    { documents: index.documentCount, chunks: index.size, vectors: index.chunks.vectorCount, ms: Math.round(performance.now() - started) },
    'knowledge base loaded',
  );
  if (embedder) await backfillVectors({ store, index, embedder, logger }, missing);

  const parser = createParsePool(options.parsing);
  const writer = createKbWriter({
    store,
    index,
    parser,
    embedder,
    logger,
    chunking: { ...DEFAULT_CHUNK_OPTIONS, ...options.chunking },
    maxBytes: options.maxDocumentBytes ?? 50 * 1024 * 1024,
  });
  const follower = followStoreChanges({ store, index, writer, generation, intervalMs: options.syncIntervalMs ?? 2_000, embedder, logger });

  let closed = false;
  return {
    async search(query, opts = {}) {
      const text = query.trim().slice(0, MAX_QUERY_CHARS);
      const k = Math.max(1, Math.min(opts.k ?? 5, 100));
      if (!text || index.size === 0) return [];
      let queryVector: Float32Array | undefined;
      if (embedder && index.chunks.vectorCount > 0) {
        try {
          [queryVector] = await embedder.embed([text], { signal: AbortSignal.timeout(options.queryEmbeddingTimeoutMs ?? 3_000) });
        } catch (error) {
          logger?.warn({ err: error }, 'query embedding failed: answering with BM25 only');
        }
      }
      return index.search(text, k, queryVector).map(({ chunk, score, relevance }) => ({
        chunkId: chunk.id,
        docId: chunk.docId,
        title: chunk.title,
        source: chunk.source,
        headingPath: [...chunk.headingPath],
        text: chunk.text,
        score,
        relevance,
      }));
    },
    async addFile(path, opts = {}) {
      const name = opts.displayName ?? basename(path);
      return writer.add(name, await readFile(path), opts.source ?? name);
    },
    addBuffer(name, data, opts = {}) {
      return writer.add(name, data, opts.source ?? name);
    },
    async listDocuments() {
      return index.documents().map(toKbDocument);
    },
    removeDocument(docIdOrName) {
      return writer.remove(docIdOrName);
    },
    async findDocuments(ref) {
      return findDocuments(index.documents(), ref).map(toKbDocument);
    },
    nearby(docId, chunkId, radius) {
      return index.around(docId, chunkId, Math.max(0, Math.min(radius, 20))).map(({ chunk, offset }) => ({
        chunkId: chunk.id,
        title: chunk.title,
        headingPath: [...chunk.headingPath],
        offset,
      }));
    },
    size() {
      return index.size;
    },
    async close() {
      if (closed) return;
      closed = true;
      follower.stop();
      await writer.drain();
      await parser.close();
      await store.close();
    },
  };
}

function toKbDocument(d: StoredDocument): KbDocument {
  return { docId: d.id, name: d.name, source: d.source, title: d.title, chunks: d.chunkCount, hash: d.hash, bytes: d.bytes, addedAt: d.addedAt };
}
