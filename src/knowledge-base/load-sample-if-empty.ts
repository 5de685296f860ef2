import { listDocumentFiles } from './ingest/list-document-files.js';
import type { AddResult, KnowledgeBase } from './knowledge-base.js';

/**
 * Loads the bundled sample documents (kb-sample/: integration guide, configuration, FAQ about
 * this gateway) when the knowledge base is empty, so a fresh install answers "socket 合法域名
 * 怎么配置？" with a cited passage. A knowledge base with anything in it is left alone — also
 * one whose owner removed the samples and added their own documents.
 *
 * @example
 * await loadSampleIfEmpty(kb, sampleKnowledgeBaseDir); // projectPath('kb-sample'), compose/create-knowledge-base.ts
 */
export async function loadSampleIfEmpty(kb: KnowledgeBase, dir: string): Promise<AddResult[]> {
  if (kb.size() > 0 || (await kb.listDocuments()).length > 0) return [];
  const results: AddResult[] = [];
  // Named kb-sample/… (the directory's own name), the same names `npm run kb -- add kb-sample` gives.
  for (const file of await listDocumentFiles([dir])) results.push(await kb.addFile(file.path, { displayName: file.name }));
  return results;
}
