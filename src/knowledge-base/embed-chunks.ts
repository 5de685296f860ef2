import type { Embedder } from './embed/embedder.js';
import { embeddingInput } from './ingest/prepare-document.js';
import type { KbStore, StoredChunk } from './store/kb-store.js';

/**
 * embedHash → vector for `chunks`, reusing the vectors the store already has for the
 * embedder's model: only text never embedded before is sent, once even if several chunks share it.
 */
export async function embedChunks(
  store: KbStore,
  embedder: Embedder,
  chunks: readonly StoredChunk[],
  titleOf: (c: StoredChunk) => string,
): Promise<Map<string, Float32Array>> {
  const out = await store.getVectors(embedder.model, chunks.map((c) => c.embedHash));
  const todo = new Map<string, string>();
  for (const c of chunks) {
    if (!out.has(c.embedHash) && !todo.has(c.embedHash)) todo.set(c.embedHash, embeddingInput(titleOf(c), c.headingPath, c.text));
  }
  if (todo.size > 0) {
    const vectors = await embedder.embed([...todo.values()]);
    [...todo.keys()].forEach((hash, i) => out.set(hash, vectors[i]!));
  }
  return out;
}
