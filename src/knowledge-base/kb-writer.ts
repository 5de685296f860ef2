import type { Embedder } from './embed/embedder.js';
import { embedChunks } from './embed-chunks.js';
import { findDocuments } from './find-documents.js';
import type { ChunkOptions } from './ingest/chunk-text.js';
import type { ParsePool } from './ingest/parse-pool.js';
import { documentId, pipelineId, sha256, type PreparedDocument } from './ingest/prepare-document.js';
import { KbError } from './kb-error.js';
import type { KbIndex } from './kb-index.js';
import type { AddResult, KbLogger } from './knowledge-base.js';
import type { KbStore, StoredDocument } from './store/kb-store.js';

export interface KbWriter {
  /** Stores and indexes the file as `name`: added, replaced, or unchanged (same bytes, pipeline and source). */
  add(name: string, data: Buffer, source: string): Promise<AddResult>;
  /** Removes the one document `ref` names (find-documents.ts); false when none or several match. */
  remove(ref: string): Promise<boolean>;
  /** Runs `task` after every change queued before it and before any queued after it. */
  serial<T>(task: () => Promise<T>): Promise<T>;
  /** Settles when every queued change has. */
  drain(): Promise<void>;
}

export interface KbWriterDeps {
  store: KbStore;
  index: KbIndex;
  parser: ParsePool;
  embedder?: Embedder | undefined;
  logger?: KbLogger | undefined;
  chunking: ChunkOptions;
  maxBytes: number;
}

/**
 * The knowledge base's only writer. Changes apply one at a time, in call order, so a replace
 * never interleaves with another add or remove; parsing runs ahead in the parse pool, so a
 * slow PDF delays the changes queued behind it but not the event loop. Each change goes to
 * the store first, then to the index: a failure (bad file, embedding outage) changes neither.
 */
export function createKbWriter(deps: KbWriterDeps): KbWriter {
  const { store, index, parser, embedder, logger, chunking, maxBytes } = deps;
  const pipeline = pipelineId(chunking);
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(task: () => Promise<T>): Promise<T> => {
    const run = queue.then(task, task);
    queue = run.catch(() => {});
    return run;
  };
  const isCurrent = (doc: StoredDocument | undefined, hash: string, source: string): doc is StoredDocument =>
    doc !== undefined && doc.hash === hash && doc.pipeline === pipeline && doc.source === source;

  async function commit(name: string, prepared: PreparedDocument, existing: StoredDocument | undefined): Promise<AddResult> {
    const { doc } = prepared;
    // Tokenized once, here, and stored with the chunks: a restart reads the terms back.
    const chunks = index.withTerms(doc, prepared.chunks);
    let vectors: Map<string, Float32Array> | undefined;
    if (embedder) {
      try {
        vectors = await embedChunks(store, embedder, chunks, () => doc.title);
      } catch (error) {
        throw new KbError('embedding_failed', `「${name}」向量化失败，未导入：${(error as Error).message}`, { cause: error });
      }
    }
    await store.putDocument(doc, chunks, vectors && { model: embedder!.model, entries: vectors });
    index.put(doc, chunks, vectors);
    logger?.info({ docId: doc.id, name, chunks: chunks.length, replaced: existing !== undefined }, 'knowledge base document stored');
    return { docId: doc.id, name, status: existing ? 'replaced' : 'added', chunks: chunks.length };
  }

  return {
    add(name, data, source) {
      if (data.length > maxBytes) {
        const mb = (n: number, digits: number) => (n / 1048576).toFixed(digits);
        return Promise.reject(new KbError('too_large', `「${name}」有 ${mb(data.length, 1)} MB，超过上限 ${mb(maxBytes, 0)} MB`));
      }
      const hash = sha256(data);
      const id = documentId(name);
      const request = { name, source, data, hash, chunking };
      // Parsing starts now, outside the queue (unless the document is already stored as is).
      const early = isCurrent(index.document(id), hash, source) ? undefined : parser.prepare(request);
      early?.catch(() => {}); // its rejection is reported when the queue reaches it
      return serial(async () => {
        const existing = index.document(id);
        if (isCurrent(existing, hash, source)) return { docId: id, name, status: 'unchanged', chunks: existing.chunkCount };
        return commit(name, await (early ?? parser.prepare(request)), existing);
      });
    },
    remove(ref) {
      return serial(async () => {
        const matches = findDocuments(index.documents(), ref);
        if (matches.length !== 1) return false;
        const doc = matches[0]!;
        await store.removeDocument(doc.id);
        index.remove(doc.id);
        logger?.info({ docId: doc.id, document: doc.name }, 'knowledge base document removed');
        return true;
      });
    },
    serial,
    async drain() {
      await queue;
    },
  };
}
