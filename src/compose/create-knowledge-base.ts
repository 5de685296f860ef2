import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/config-schema.js';
import { projectPath } from '../project-dir.js';
import { openKnowledgeBase, type KnowledgeBase } from '../knowledge-base/knowledge-base.js';
import { loadSampleIfEmpty } from '../knowledge-base/load-sample-if-empty.js';
import { openSqliteKbStore } from '../knowledge-base/store/sqlite-kb-store.js';

/** The sample documents shipped with the project (kb-sample/, beside src/ and dist/). */
export const sampleKnowledgeBaseDir = projectPath('kb-sample');

/**
 * SQLite under DATA_DIR, hybrid retrieval when an embedding endpoint is set, the sample
 * documents on first start when KB_LOAD_SAMPLE allows (off by default in production: a
 * customer's bot must never answer from our own integration guide). The embedder (and the
 * `openai` SDK under it) is imported only when an embedding endpoint is set.
 */
export async function createKnowledgeBase(
  config: Readonly<Config>,
  logger: Logger,
  /** the CLI never loads the samples: a user importing their own documents first never gets ours */
  overrides: { loadSample?: boolean } = {},
): Promise<KnowledgeBase> {
  const { embedding } = config.kb;
  const embedder =
    embedding.baseUrl && embedding.model
      ? (await import('../knowledge-base/embed/openai-compatible-embedder.js')).createOpenAiCompatibleEmbedder({
          baseUrl: embedding.baseUrl,
          apiKey: embedding.apiKey,
          model: embedding.model,
        })
      : undefined;
  const store = openSqliteKbStore(join(config.dataDir, 'kb.sqlite'));
  const kb = await openKnowledgeBase({ store, embedder, logger });
  if (overrides.loadSample ?? config.kb.loadSample) {
    const loaded = await loadSampleIfEmpty(kb, sampleKnowledgeBaseDir);
    if (loaded.length > 0) logger.info({ documents: loaded.length, chunks: kb.size() }, 'loaded the sample knowledge base');
  }
  logger.info({ chunks: kb.size(), hybrid: Boolean(embedder) }, 'knowledge base ready');
  return kb;
}
