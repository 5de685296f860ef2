import type { KbHit } from '../../knowledge-base/knowledge-base.js';
import type { StoredSource } from '../../store/history-store.js';

/** What the chat service needs of the knowledge base (KnowledgeBase satisfies it). */
export interface Retriever {
  search(query: string, options?: { k?: number }): Promise<KbHit[]>;
  /** chunk count: 0 means "no knowledge base", and retrieval is skipped */
  size(): number;
}

/** A cited passage as clients see it in `chat_response.data.sources` (and as history keeps it). */
export type Source = StoredSource;

export interface RagOptions {
  /** passages quoted in a prompt at most */
  topK: number;
  /** 0…1: passages below it are not quoted (see knowledge-base/relevance.ts) */
  minRelevance: number;
}

/**
 * The passages worth quoting for `query`: relevant enough, at most `topK`, most relevant first.
 * The search ranks by its fused score, which is not `relevance` (how much of the question a
 * passage covers): re-sorted here, since the numbers [1], [2] quoted to the model follow this
 * order and clients are promised `sources` by relevance.
 */
export async function selectPassages(retriever: Retriever, query: string, options: RagOptions): Promise<KbHit[]> {
  if (retriever.size() === 0) return [];
  const hits = await retriever.search(query, { k: Math.max(options.topK * 2, 5) });
  return byRelevance(hits.filter((hit) => hit.relevance >= options.minRelevance).slice(0, options.topK));
}

/** Most relevant first; equal relevance keeps the given order (the search's rank). */
export function byRelevance(hits: KbHit[]): KbHit[] {
  return [...hits].sort((a, b) => b.relevance - a.relevance);
}

/** The passages as `sources`: one per chunk, most relevant first. */
export function toSources(hits: KbHit[]): Source[] {
  const seen = new Set<string>();
  const sources: Source[] = [];
  for (const hit of byRelevance(hits)) {
    if (seen.has(hit.chunkId)) continue;
    seen.add(hit.chunkId);
    const snippet = hit.text.length > 120 ? `${hit.text.slice(0, 120)}…` : hit.text;
    sources.push({ title: hit.title, source: hit.source, snippet, score: Math.round(hit.relevance * 1000) / 1000 });
  }
  return sources;
}

/** A passage as quoted to the model: numbered, with where it comes from. */
export function quotePassage(hit: KbHit, n: number): string {
  const where = [hit.title, ...hit.headingPath].filter(Boolean).join(' › ');
  return `[${n}] 《${where}》（来源：${hit.source}）\n${hit.text}`;
}
