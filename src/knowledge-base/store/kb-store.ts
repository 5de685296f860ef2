/**
 * Where the knowledge base keeps documents, chunks and embedding vectors. The in-process
 * indexes are rebuilt from it at start, so it is the only durable state. Drivers: SQLite
 * (the default, under DATA_DIR) and memory (evaluation, tests); both pass
 * kb-store.contract.ts. A vector database would implement this port plus a search method.
 *
 * Several processes may share one store (the gateway and the `kb` CLI share kb.sqlite): the
 * change log (`generation` / `changedSince`) is how each learns what the others wrote.
 */

export interface StoredDocument {
  /** stable id derived from `name` */
  id: string;
  /** unique; re-adding a document under the same name replaces it */
  name: string;
  /** where it came from, shown in citations: a path relative to where `kb add` ran, or the upload name */
  source: string;
  title: string;
  /** sha256 of the file's bytes */
  hash: string;
  /** version of the parse+chunk pipeline that produced the chunks; a change forces re-ingest */
  pipeline: string;
  bytes: number;
  chunkCount: number;
  /** epoch milliseconds */
  addedAt: number;
}

export interface StoredChunk {
  id: string;
  docId: string;
  /** position in the document, from 0 */
  ord: number;
  headingPath: string[];
  text: string;
  /** sha256 of the text that is embedded for this chunk: vectors are shared and cached by it */
  embedHash: string;
  /**
   * The index's analysis of the chunk (index/chunk-terms.ts), opaque to the store: kept so a
   * restart need not tokenize every chunk again. Absent for chunks stored before it existed.
   */
  terms?: Uint8Array;
}

/** Terms computed for a stored chunk after the fact (an older database, a damaged entry). */
export interface ChunkTermsUpdate {
  chunkId: string;
  /** the content they were computed from: a chunk that no longer has it is left alone */
  embedHash: string;
  terms: Uint8Array;
}

export interface KbStore {
  listDocuments(): Promise<StoredDocument[]>;
  getDocument(id: string): Promise<StoredDocument | undefined>;
  /**
   * Atomically replaces the document with `doc.id` (if any) and all its chunks; stores
   * `vectors` (keyed by embedHash) for `model` in the same transaction.
   */
  putDocument(
    doc: StoredDocument,
    chunks: readonly StoredChunk[],
    vectors?: { model: string; entries: ReadonlyMap<string, Float32Array> },
  ): Promise<void>;
  /** Removes the document, its chunks and the vectors no other chunk uses. false when absent. */
  removeDocument(id: string): Promise<boolean>;
  /** Every chunk, grouped by document, in document order; only `docId`'s when given. */
  listChunks(docId?: string): Promise<StoredChunk[]>;
  /**
   * Every chunk, in listChunks() order, handed to `visit` one at a time from one consistent
   * read: start-up indexes 100k chunks (and their terms) without holding them all at once.
   */
  forEachChunk(visit: (chunk: StoredChunk) => void): Promise<void>;
  /** Stored vectors for `model` among `embedHashes` (all of the model's when omitted). */
  getVectors(model: string, embedHashes?: readonly string[]): Promise<Map<string, Float32Array>>;
  putVectors(model: string, entries: ReadonlyMap<string, Float32Array>): Promise<void>;
  /**
   * Saves terms for stored chunks that still hold the given embedHash (a document replaced
   * meanwhile keeps its own); returns how many were saved. Not a change: the log stays put.
   */
  putChunkTerms(updates: readonly ChunkTermsUpdate[]): Promise<number>;
  /**
   * The change log's position: every putDocument, and every removeDocument that removed
   * something, advances it (by whichever process wrote). 0 for a store never written.
   */
  generation(): Promise<number>;
  /**
   * The documents written or removed after position `generation`, each once, oldest change
   * first, and the position to ask from next time. Whether a listed document was written or
   * removed is for the caller to look up: getDocument answers undefined for a removed one.
   */
  changedSince(generation: number): Promise<KbChanges>;
  close(): Promise<void>;
}

export interface KbChanges {
  generation: number;
  docIds: string[];
}
