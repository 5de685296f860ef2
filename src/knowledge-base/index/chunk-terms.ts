import { hashTerm } from './term-table.js';
import type { Tokenizer } from './tokenizer.js';

/**
 * A chunk's index terms, computed once when the chunk is stored and persisted beside it
 * (kb_chunks.terms), so a restart reads them instead of running jieba over every chunk again
 * (35–50 s at 100k chunks, docs/knowledge-base.md).
 *
 * Per field (FIELDS order), the distinct terms as (h1, h2, tf) triples of Int32: hashTerm's two
 * hashes — the term's identity in TermTable, so loading interns hashes without building or
 * hashing a single string — and the occurrence count. Field weights are not baked in: they are
 * retrieval options applied when the chunk is indexed.
 */
export type ChunkTerms = readonly Int32Array[];

/** What is tokenized, in this order. */
export const FIELDS = ['text', 'title', 'headings'] as const;

/** Bump when this layout or hashTerm changes: every persisted list is then recomputed once. */
const TERMS_FORMAT = 1;
const HEADER_WORDS = 2 + FIELDS.length;

export interface TermSource {
  title: string;
  headingPath: readonly string[];
  text: string;
}

/** Tokenizes the chunk's fields (the slow part: jieba). */
export function analyzeChunk(tokenizer: Tokenizer, chunk: TermSource): ChunkTerms {
  return [chunk.text, chunk.title, chunk.headingPath.join(' ')].map((text) => termTriples(text ? tokenizer.terms(text) : []));
}

/** A term list (repeats allowed) as one field's distinct (h1, h2, tf) triples. */
export function termTriples(terms: readonly string[]): Int32Array {
  const counts = new Map<string, number>();
  for (const term of terms) counts.set(term, (counts.get(term) ?? 0) + 1);
  const triples = new Int32Array(counts.size * 3);
  let at = 0;
  for (const [term, tf] of counts) {
    hashTerm(term, triples, at);
    triples[at + 2] = tf;
    at += 3;
  }
  return triples;
}

/**
 * The persisted form: little-endian Int32 words [format, owner, n_text, n_title, n_headings,
 * triples…]. `format` ties it to this layout and the tokenizer that produced it; `owner` to the
 * chunk's embedHash (a hash of its title, headings and text), so a list that somehow lands on
 * another chunk, or outlives an edit, is rejected instead of indexing the wrong words.
 */
export function encodeChunkTerms(terms: ChunkTerms, tokenizer: Tokenizer, embedHash: string): Uint8Array {
  const words = new Int32Array(HEADER_WORDS + terms.reduce((n, f) => n + f.length, 0));
  words[0] = formatWord(tokenizer);
  words[1] = ownerWord(embedHash);
  let at = HEADER_WORDS;
  terms.forEach((field, i) => {
    words[2 + i] = field.length / 3;
    words.set(field, at);
    at += field.length;
  });
  return new Uint8Array(words.buffer);
}

/** The persisted terms, or undefined when they are absent, from another tokenizer or format, another chunk's, or damaged. */
export function decodeChunkTerms(bytes: Uint8Array | undefined, tokenizer: Tokenizer, embedHash: string): ChunkTerms | undefined {
  if (!bytes || bytes.byteLength % 4 !== 0 || bytes.byteLength < HEADER_WORDS * 4) return undefined;
  // Int32Array needs 4-byte alignment; SQLite's Buffers come from a pool at any offset (and a
  // Buffer's slice() is a view, not a copy).
  let aligned = bytes;
  if (bytes.byteOffset % 4 !== 0) {
    aligned = new Uint8Array(bytes.byteLength);
    aligned.set(bytes);
  }
  const words = new Int32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 4);
  if (words[0] !== formatWord(tokenizer) || words[1] !== ownerWord(embedHash)) return undefined;
  let at = HEADER_WORDS;
  const fields: Int32Array[] = [];
  for (let i = 0; i < FIELDS.length; i++) {
    const n = words[2 + i]!;
    if (n < 0 || at + n * 3 > words.length) return undefined;
    const field = words.subarray(at, at + n * 3);
    for (let t = 2; t < field.length; t += 3) if (field[t]! <= 0) return undefined;
    fields.push(field);
    at += n * 3;
  }
  return at === words.length ? fields : undefined;
}

const formats = new WeakMap<Tokenizer, number>();
const word = new Int32Array(2);

function formatWord(tokenizer: Tokenizer): number {
  let format = formats.get(tokenizer);
  if (format === undefined) {
    hashTerm(`terms/${TERMS_FORMAT}/${tokenizer.id}`, word, 0);
    format = word[0]!;
    formats.set(tokenizer, format);
  }
  return format;
}

function ownerWord(embedHash: string): number {
  hashTerm(embedHash, word, 0);
  return word[0]!;
}
