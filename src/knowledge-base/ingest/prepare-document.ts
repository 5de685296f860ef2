import { createHash } from 'node:crypto';
import { basename, extname } from 'node:path';
import type { StoredChunk, StoredDocument } from '../store/kb-store.js';
import { chunkDocument, DEFAULT_CHUNK_OPTIONS, type ChunkOptions } from './chunk-text.js';
import { parseDocument } from './parse-document.js';

/**
 * Bump when parsing or chunking changes what a file turns into: documents stored by an older
 * pipeline are then re-ingested on the next `add` even though their bytes did not change.
 */
const PIPELINE_VERSION = 1;

export function pipelineId(chunking: ChunkOptions): string {
  return `p${PIPELINE_VERSION}/${chunking.targetChars}-${chunking.maxChars}-${chunking.overlapChars}`;
}

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A document's id follows from its name, so re-adding a name finds the document to replace. */
export function documentId(name: string): string {
  return `d_${sha256(name).slice(0, 16)}`;
}

/** The text embedded for a chunk: title and headings give the vector the context a reader has. */
export function embeddingInput(title: string, headingPath: readonly string[], text: string): string {
  return [title, headingPath.join(' > '), text].filter(Boolean).join('\n');
}

export interface PreparedDocument {
  doc: StoredDocument;
  chunks: StoredChunk[];
}

/**
 * File bytes → the document and chunk records to store: parse (by extension), chunk, hash.
 * Pure apart from the parsers; throws KbError for unusable input before anything is stored.
 */
export async function prepareDocument(input: {
  name: string;
  source: string;
  data: Buffer;
  hash?: string;
  chunking?: Partial<ChunkOptions>;
  now?: number;
}): Promise<PreparedDocument> {
  const chunking = { ...DEFAULT_CHUNK_OPTIONS, ...input.chunking };
  const parsed = await parseDocument(input.name, input.data);
  const hash = input.hash ?? sha256(input.data);
  const id = documentId(input.name);
  const title = parsed.title?.trim() || basename(input.name, extname(input.name));
  const chunks = chunkDocument(parsed, chunking).map((c, ord) => ({
    id: `${id}:${hash.slice(0, 8)}:${ord}`,
    docId: id,
    ord,
    headingPath: c.headingPath,
    text: c.text,
    embedHash: sha256(embeddingInput(title, c.headingPath, c.text)).slice(0, 32),
  }));
  return {
    doc: {
      id,
      name: input.name,
      source: input.source,
      title,
      hash,
      pipeline: pipelineId(chunking),
      bytes: input.data.length,
      chunkCount: chunks.length,
      addedAt: input.now ?? Date.now(),
    },
    chunks,
  };
}
