import type { Embedder } from './embed/embedder.js';
import { embedChunks } from './embed-chunks.js';
import type { KbIndex } from './kb-index.js';
import type { KbLogger } from './knowledge-base.js';
import type { KbStore, StoredChunk } from './store/kb-store.js';

/** Chunks per backfill step: progress is saved after each, so a failure loses at most one step. */
const BACKFILL_GROUP = 256;

/**
 * Embeds chunks stored without a vector for the embedder's model (EMBEDDING_MODEL was just
 * set, or the CLI added a document without embeddings), in groups that are saved and indexed
 * as they finish. An outage stops it with a warning: those chunks are found by BM25 alone.
 */
export async function backfillVectors(
  deps: { store: KbStore; index: KbIndex; embedder: Embedder; logger?: KbLogger | undefined },
  missing: readonly StoredChunk[],
): Promise<void> {
  const { store, index, embedder, logger } = deps;
  if (missing.length === 0) return;
  logger?.info({ chunks: missing.length, model: embedder.model }, 'embedding chunks that have no vector yet');
  for (let i = 0; i < missing.length; i += BACKFILL_GROUP) {
    const group = missing.slice(i, i + BACKFILL_GROUP);
    try {
      const fresh = await embedChunks(store, embedder, group, (c) => index.document(c.docId)?.title ?? '');
      await store.putVectors(embedder.model, fresh);
      index.setVectors(group, fresh);
    } catch (error) {
      logger?.warn(
        { err: error, model: embedder.model, embedded: i, missing: missing.length - i },
        'embedding backfill stopped: the rest is found by BM25 only until the next start',
      );
      return;
    }
  }
}
