import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/config-schema.js';
import { createOpenAiCompatibleEmbedder } from './embed/openai-compatible-embedder.js';
import { openKnowledgeBase, type KbLogger, type KnowledgeBase } from './knowledge-base.js';
import { loadSampleIfEmpty } from './load-sample-if-empty.js';
import { openSqliteKbStore } from './store/sqlite-kb-store.js';

/** The sample documents shipped with the project. */
export const sampleKnowledgeBaseDir = fileURLToPath(new URL('../../kb-sample', import.meta.url));

/**
 * The knowledge base as configured: SQLite under DATA_DIR, hybrid retrieval when an
 * embedding endpoint is set, the sample documents on first start (KB_LOAD_SAMPLE).
 */
export async function createKnowledgeBase(config: Readonly<Config>, logger: KbLogger): Promise<KnowledgeBase> {
  const { embedding } = config.kb;
  const embedder =
    embedding.baseUrl && embedding.model
      ? createOpenAiCompatibleEmbedder({ baseUrl: embedding.baseUrl, apiKey: embedding.apiKey, model: embedding.model })
      : undefined;
  const kb = await openKnowledgeBase({ store: openSqliteKbStore(join(config.dataDir, 'kb.sqlite')), embedder, logger });
  if (config.kb.loadSample) {
    const loaded = await loadSampleIfEmpty(kb, sampleKnowledgeBaseDir);
    if (loaded.length > 0) logger.info({ documents: loaded.length, chunks: kb.size() }, 'loaded the sample knowledge base');
  }
  logger.info({ chunks: kb.size(), hybrid: Boolean(embedder) }, 'knowledge base ready');
  return kb;
}
