import type { Embedder } from '../src/knowledge-base/embed/embedder.js';
import { createOpenAiCompatibleEmbedder } from '../src/knowledge-base/embed/openai-compatible-embedder.js';

/**
 * The CLI's composition root reads the same variables as the gateway (docs/knowledge-base.md):
 * DATA_DIR, and EMBEDDING_BASE_URL / EMBEDDING_API_KEY / EMBEDDING_MODEL for hybrid retrieval.
 * Fails fast, naming the variable, when embeddings are half configured.
 */
export function kbSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): { dataDir: string; embedder?: Embedder } {
  const dataDir = env.DATA_DIR || './data';
  const baseUrl = env.EMBEDDING_BASE_URL?.trim();
  const model = env.EMBEDDING_MODEL?.trim();
  const apiKey = env.EMBEDDING_API_KEY?.trim();
  if (!baseUrl && !model) return { dataDir };
  if (!baseUrl) throw new Error('EMBEDDING_BASE_URL is required when EMBEDDING_MODEL is set');
  if (!model) throw new Error('EMBEDDING_MODEL is required when EMBEDDING_BASE_URL is set');
  return { dataDir, embedder: createOpenAiCompatibleEmbedder({ baseUrl, model, ...(apiKey ? { apiKey } : {}) }) };
}
