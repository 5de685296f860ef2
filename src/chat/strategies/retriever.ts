import type { KbHit } from '../../knowledge-base/knowledge-base.js';

/** What the chat service needs of the knowledge base (KnowledgeBase satisfies it). */
export interface Retriever {
  search(query: string, options?: { k?: number }): Promise<KbHit[]>;
  /** chunk count: 0 means "no knowledge base", and retrieval is skipped */
  size(): number;
}

/** A cited passage as clients see it in `chat_response.data.sources`. */
export interface Source {
  title: string;
  source: string;
  snippet: string;
  score: number;
}

export interface RagOptions {
  /** passages quoted in a prompt at most */
  topK: number;
  /** 0…1: passages below it are not quoted (see knowledge-base/relevance.ts) */
  minRelevance: number;
}

/** The passages worth quoting for `query`: relevant enough, best first, at most `topK`. */
export async function selectPassages(retriever: Retriever, query: string, options: RagOptions): Promise<KbHit[]> {
  if (retriever.size() === 0) return [];
  const hits = await retriever.search(query, { k: Math.max(options.topK * 2, 5) });
  return hits.filter((hit) => hit.relevance >= options.minRelevance).slice(0, options.topK);
}

export function toSources(hits: KbHit[]): Source[] {
  const seen = new Set<string>();
  const sources: Source[] = [];
  for (const hit of hits) {
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
