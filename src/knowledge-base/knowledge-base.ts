import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Embedder } from './embed/embedder.js';
import { ChunkIndex, type IndexedChunk, type RetrievalOptions } from './index/chunk-index.js';
import { createJiebaTokenizer } from './index/tokenizer.js';
import { DEFAULT_CHUNK_OPTIONS, type ChunkOptions } from './ingest/chunk-text.js';
import { documentId, embeddingInput, pipelineId, prepareDocument, sha256 } from './ingest/prepare-document.js';
import { KbError } from './kb-error.js';
import type { KbStore, StoredChunk, StoredDocument } from './store/kb-store.js';
import { openSqliteKbStore } from './store/sqlite-kb-store.js';

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
  /** By id, name or source. false when nothing matched. */
  removeDocument(docIdOrName: string): Promise<boolean>;
  /** Chunk count. */
  size(): number;
  close(): Promise<void>;
}

export interface KbLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface OpenKnowledgeBaseOptions {
  /** SQLite file at `${dataDir}/kb.sqlite`. Ignored when `store` is given. */
  dataDir?: string;
  /** Another KbStore driver (memory for evaluation and tests). */
  store?: KbStore;
  /** Enables hybrid retrieval; chunks are embedded at ingest and missing vectors at open. */
  embedder?: Embedder;
  logger?: KbLogger;
  retrieval?: Partial<RetrievalOptions>;
  chunking?: Partial<ChunkOptions>;
  /** Larger files are refused. Default 50 MB. */
  maxDocumentBytes?: number;
  /** Bound on the query's embedding call before falling back to BM25 alone, milliseconds. Default 3000. */
  queryEmbeddingTimeoutMs?: number;
}

/** Chunks per backfill step: progress is saved after each, so a failure loses at most one step. */
const BACKFILL_GROUP = 256;

/** Queries longer than this are cut: a pasted essay must not cost a 10k-term posting walk. */
const MAX_QUERY_CHARS = 1_000;

type Chunk = IndexedChunk & { embedHash: string };

/**
 * Opens the knowledge base and builds its in-memory index from the store (no re-embedding:
 * stored vectors are reused; only chunks lacking a vector for the embedder's model are
 * embedded, e.g. after EMBEDDING_MODEL was first set).
 *
 * @example
 * const kb = await openKnowledgeBase({ dataDir: './data', logger });
 * const hits = await kb.search('socket 合法域名怎么配置？');
 */
export async function openKnowledgeBase(options: OpenKnowledgeBaseOptions): Promise<KnowledgeBase> {
  if (!options.store && !options.dataDir) throw new Error('openKnowledgeBase needs dataDir or store');
  const store = options.store ?? openSqliteKbStore(join(options.dataDir!, 'kb.sqlite'));
  const chunking = { ...DEFAULT_CHUNK_OPTIONS, ...options.chunking };
  const pipeline = pipelineId(chunking);
  const { embedder, logger } = options;
  const maxBytes = options.maxDocumentBytes ?? 50 * 1024 * 1024;
  const index = new ChunkIndex<Chunk>(createJiebaTokenizer(), options.retrieval);
  const documents = new Map<string, StoredDocument>();

  const started = performance.now();
  for (const doc of await store.listDocuments()) documents.set(doc.id, doc);
  const stored = await store.listChunks();
  const vectors = embedder ? await store.getVectors(embedder.model) : new Map<string, Float32Array>();
  for (const c of stored) index.add(toIndexed(c, documents.get(c.docId)!), vectors.get(c.embedHash));
  index.commit();
  logger?.info(
    { documents: documents.size, chunks: index.size, vectors: index.vectorCount, ms: Math.round(performance.now() - started) },
    'knowledge base loaded',
  );
  if (embedder) await backfillVectors(stored.filter((c) => !vectors.has(c.embedHash)));

  /** Embeds chunks stored without a vector for this model, in groups that are saved as they finish. */
  async function backfillVectors(missing: StoredChunk[]): Promise<void> {
    if (!embedder || missing.length === 0) return;
    logger?.info({ chunks: missing.length, model: embedder.model }, 'embedding chunks that have no vector yet');
    for (let i = 0; i < missing.length; i += BACKFILL_GROUP) {
      const group = missing.slice(i, i + BACKFILL_GROUP);
      try {
        const fresh = await embedChunks(group, (c) => documents.get(c.docId)?.title ?? '');
        await store.putVectors(embedder.model, fresh);
        for (const c of group) index.setVectorFor(c.id, c.docId, fresh.get(c.embedHash)!);
      } catch (error) {
        logger?.warn(
          { err: error, model: embedder.model, embedded: i, missing: missing.length - i },
          'embedding backfill stopped: the rest is found by BM25 only until the next start',
        );
        return;
      }
    }
  }

  /** embedHash → vector for the chunks, reusing stored vectors. */
  async function embedChunks(
    chunks: readonly StoredChunk[],
    titleOf: (c: StoredChunk) => string,
  ): Promise<Map<string, Float32Array>> {
    const out = await store.getVectors(embedder!.model, chunks.map((c) => c.embedHash));
    const todo = new Map<string, string>();
    for (const c of chunks) {
      if (!out.has(c.embedHash) && !todo.has(c.embedHash)) todo.set(c.embedHash, embeddingInput(titleOf(c), c.headingPath, c.text));
    }
    if (todo.size > 0) {
      const vectors = await embedder!.embed([...todo.values()]);
      [...todo.keys()].forEach((hash, i) => out.set(hash, vectors[i]!));
    }
    return out;
  }

  function toIndexed(c: StoredChunk, doc: StoredDocument): Chunk {
    return { id: c.id, docId: c.docId, title: doc.title, source: doc.source, headingPath: c.headingPath, text: c.text, embedHash: c.embedHash };
  }

  // Writes run one at a time, so a replace never interleaves with another add or remove.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(task: () => Promise<T>): Promise<T> => {
    const run = queue.then(task, task);
    queue = run.catch(() => {});
    return run;
  };

  async function add(name: string, data: Buffer, source: string): Promise<AddResult> {
    if (data.length > maxBytes) {
      throw new KbError('too_large', `「${name}」有 ${(data.length / 1048576).toFixed(1)} MB，超过上限 ${(maxBytes / 1048576).toFixed(0)} MB`);
    }
    const hash = sha256(data);
    const id = documentId(name);
    const existing = documents.get(id);
    if (existing && existing.hash === hash && existing.pipeline === pipeline && existing.source === source) {
      return { docId: id, name, status: 'unchanged', chunks: existing.chunkCount };
    }
    const prepared = await prepareDocument({ name, source, data, hash, chunking });
    let vectors: Map<string, Float32Array> | undefined;
    if (embedder) {
      try {
        vectors = await embedChunks(prepared.chunks, () => prepared.doc.title);
      } catch (error) {
        throw new KbError('embedding_failed', `「${name}」向量化失败，未导入：${(error as Error).message}`, { cause: error });
      }
    }
    await store.putDocument(prepared.doc, prepared.chunks, vectors && { model: embedder!.model, entries: vectors });
    index.removeDocument(id);
    for (const c of prepared.chunks) index.add(toIndexed(c, prepared.doc), vectors?.get(c.embedHash));
    documents.set(id, prepared.doc);
    logger?.info({ docId: id, name, chunks: prepared.chunks.length, replaced: existing !== undefined }, 'knowledge base document stored');
    return { docId: id, name, status: existing ? 'replaced' : 'added', chunks: prepared.chunks.length };
  }

  let closed = false;
  return {
    async search(query, opts = {}) {
      const text = query.trim().slice(0, MAX_QUERY_CHARS);
      const k = Math.max(1, Math.min(opts.k ?? 5, 100));
      if (!text || index.size === 0) return [];
      let queryVector: Float32Array | undefined;
      if (embedder && index.vectorCount > 0) {
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
    addFile(path, opts = {}) {
      return serial(async () => {
        const name = opts.displayName ?? basename(path);
        return add(name, await readFile(path), opts.source ?? name);
      });
    },
    addBuffer(name, data, opts = {}) {
      return serial(() => add(name, data, opts.source ?? name));
    },
    async listDocuments() {
      return [...documents.values()].map((d) => ({
        docId: d.id,
        name: d.name,
        source: d.source,
        title: d.title,
        chunks: d.chunkCount,
        hash: d.hash,
        bytes: d.bytes,
        addedAt: d.addedAt,
      }));
    },
    removeDocument(docIdOrName) {
      return serial(async () => {
        const doc =
          documents.get(docIdOrName) ??
          documents.get(documentId(docIdOrName)) ??
          [...documents.values()].find((d) => d.source === docIdOrName);
        if (!doc) return false;
        await store.removeDocument(doc.id);
        index.removeDocument(doc.id);
        documents.delete(doc.id);
        logger?.info({ docId: doc.id, name: doc.name }, 'knowledge base document removed');
        return true;
      });
    },
    size() {
      return index.size;
    },
    async close() {
      if (closed) return;
      closed = true;
      await queue;
      await store.close();
    },
  };
}
