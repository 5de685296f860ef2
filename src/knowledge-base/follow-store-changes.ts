import { backfillVectors } from './backfill-vectors.js';
import type { Embedder } from './embed/embedder.js';
import { saveTerms, type KbIndex } from './kb-index.js';
import type { KbWriter } from './kb-writer.js';
import type { KbLogger } from './knowledge-base.js';
import type { KbStore, StoredDocument } from './store/kb-store.js';

export interface StoreFollower {
  /** Applies what changed since the last look now; resolves with the number of documents updated. */
  sync(): Promise<number>;
  /** Stops polling (a sync in progress finishes in the writer's queue). Idempotent. */
  stop(): void;
}

/**
 * Keeps the in-memory index in step with writes other processes make to the same store (the
 * `kb` CLI adding or removing documents while the gateway runs): polls the store's change log
 * every `intervalMs` and re-reads only the documents listed, through the writer's queue so a
 * sync never interleaves with this process's own writes. Its own writes show up in the log
 * too and are skipped: the indexed version is already the stored one.
 */
export function followStoreChanges(deps: {
  store: KbStore;
  index: KbIndex;
  writer: KbWriter;
  /** the change-log position the index was loaded at */
  generation: number;
  intervalMs: number;
  embedder?: Embedder | undefined;
  logger?: KbLogger | undefined;
}): StoreFollower {
  const { store, index, writer, embedder, logger } = deps;
  let generation = deps.generation;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  async function apply(docId: string): Promise<boolean> {
    const stored = await store.getDocument(docId);
    const indexed = index.document(docId);
    if (!stored) return index.remove(docId);
    if (indexed && sameVersion(indexed, stored)) return false;
    const chunks = await store.listChunks(docId);
    const vectors = embedder && (await store.getVectors(embedder.model, chunks.map((c) => c.embedHash)));
    // Written by an older build, without terms: tokenized here, and saved for the next start.
    await saveTerms(store, index.put(stored, chunks, vectors), logger);
    // Written by a process without embeddings (the CLI with no EMBEDDING_* set): embed here.
    const missing = vectors ? chunks.filter((c) => !vectors.has(c.embedHash)) : [];
    if (embedder && missing.length > 0) await backfillVectors({ store, index, embedder, logger }, missing);
    return true;
  }

  const sync = () =>
    writer.serial(async () => {
      const changes = await store.changedSince(generation);
      let applied = 0;
      for (const docId of changes.docIds) if (await apply(docId)) applied++;
      generation = changes.generation;
      if (applied > 0) {
        index.chunks.commit();
        logger?.info({ documents: applied, chunks: index.size }, 'knowledge base changed by another process: applied');
      }
      return applied;
    });

  const schedule = () => {
    if (stopped || deps.intervalMs <= 0) return;
    timer = setTimeout(() => {
      sync()
        .catch((error: unknown) => logger?.warn({ err: error }, 'knowledge base: reading changes from the store failed; retrying'))
        .finally(schedule);
    }, deps.intervalMs);
    timer.unref(); // never keeps a finished CLI or test alive
  };
  schedule();

  return {
    sync,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

function sameVersion(a: StoredDocument, b: StoredDocument): boolean {
  return a.hash === b.hash && a.pipeline === b.pipeline && a.source === b.source && a.addedAt === b.addedAt && a.chunkCount === b.chunkCount;
}
