import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { ChunkTermsUpdate, KbStore, StoredChunk, StoredDocument } from './kb-store.js';

/**
 * Knowledge-base schema, in its own file (DATA_DIR/kb.sqlite) so the CLI can load documents
 * while the gateway runs, and the gateway's chat database never grows by megabytes of text.
 * Entry i moves user_version i → i+1. Append only.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE kb_documents (
    id          TEXT    PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    source      TEXT    NOT NULL,
    title       TEXT    NOT NULL,
    hash        TEXT    NOT NULL,
    pipeline    TEXT    NOT NULL,
    bytes       INTEGER NOT NULL,
    chunk_count INTEGER NOT NULL,
    added_at    INTEGER NOT NULL
  );
  CREATE TABLE kb_chunks (
    id           TEXT    PRIMARY KEY,
    doc_id       TEXT    NOT NULL REFERENCES kb_documents (id) ON DELETE CASCADE,
    ord          INTEGER NOT NULL,
    heading_path TEXT    NOT NULL, -- JSON array of strings
    text         TEXT    NOT NULL,
    embed_hash   TEXT    NOT NULL
  );
  CREATE INDEX kb_chunks_by_doc ON kb_chunks (doc_id, ord);
  CREATE INDEX kb_chunks_by_embed_hash ON kb_chunks (embed_hash);
  -- Keyed by what was embedded, not by chunk: an edited document re-embeds only the chunks
  -- whose text changed, and identical chunks in two documents share one vector.
  CREATE TABLE kb_vectors (
    model      TEXT    NOT NULL,
    embed_hash TEXT    NOT NULL,
    dim        INTEGER NOT NULL,
    vector     BLOB    NOT NULL, -- little-endian float32 × dim
    PRIMARY KEY (model, embed_hash)
  ) WITHOUT ROWID;
  `,
  `
  -- The change log other processes poll (KbStore.changedSince): one row per document, moved to
  -- a new seq by each write (INSERT OR REPLACE), so it stays as small as the document list.
  -- AUTOINCREMENT: a seq is never reused, even after the newest row is replaced.
  CREATE TABLE kb_changes (
    seq    INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id TEXT    NOT NULL UNIQUE
  );
  `,
  `
  -- The index's analysis of each chunk (index/chunk-terms.ts), so a restart does not tokenize
  -- every chunk again. NULL for chunks stored before this column: computed once, then saved.
  ALTER TABLE kb_chunks ADD COLUMN terms BLOB;
  `,
];

/**
 * Opens (creating if needed) the knowledge-base SQLite file.
 *
 * @example
 * const store = openSqliteKbStore(join(dataDir, 'kb.sqlite'));
 */
export function openSqliteKbStore(file: string): KbStore {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
    migrate(db);
  } catch (error) {
    db.close();
    throw error;
  }

  const q = {
    listDocs: db.prepare('SELECT * FROM kb_documents ORDER BY added_at, name'),
    getDoc: db.prepare('SELECT * FROM kb_documents WHERE id = ?'),
    upsertDoc: db.prepare(`
      INSERT INTO kb_documents (id, name, source, title, hash, pipeline, bytes, chunk_count, added_at)
      VALUES (@id, @name, @source, @title, @hash, @pipeline, @bytes, @chunkCount, @addedAt)
      ON CONFLICT (id) DO UPDATE SET name = excluded.name, source = excluded.source, title = excluded.title,
        hash = excluded.hash, pipeline = excluded.pipeline, bytes = excluded.bytes,
        chunk_count = excluded.chunk_count, added_at = excluded.added_at`),
    deleteDoc: db.prepare('DELETE FROM kb_documents WHERE id = ?'),
    docEmbedHashes: db.prepare('SELECT DISTINCT embed_hash FROM kb_chunks WHERE doc_id = ?').pluck(),
    deleteChunks: db.prepare('DELETE FROM kb_chunks WHERE doc_id = ?'),
    insertChunk: db.prepare(
      'INSERT INTO kb_chunks (id, doc_id, ord, heading_path, text, embed_hash, terms) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    // Document by document through kb_chunks_by_doc: an ORDER BY over the chunks joined to their
    // documents made SQLite copy every row, text and terms, through its sorter (≈ 2x the read).
    docOrder: db.prepare('SELECT id FROM kb_documents ORDER BY added_at, name').pluck(),
    docChunks: db.prepare('SELECT * FROM kb_chunks WHERE doc_id = ? ORDER BY ord'),
    putTerms: db.prepare('UPDATE kb_chunks SET terms = ? WHERE id = ? AND embed_hash = ?'),
    logChange: db.prepare('INSERT OR REPLACE INTO kb_changes (doc_id) VALUES (?)'),
    generation: db.prepare('SELECT coalesce(max(seq), 0) FROM kb_changes').pluck(),
    changedSince: db.prepare('SELECT seq, doc_id FROM kb_changes WHERE seq > ? ORDER BY seq'),
    dropOrphanVector: db.prepare(
      'DELETE FROM kb_vectors WHERE embed_hash = ? AND NOT EXISTS (SELECT 1 FROM kb_chunks WHERE embed_hash = ?)',
    ),
    putVector: db.prepare('INSERT OR REPLACE INTO kb_vectors (model, embed_hash, dim, vector) VALUES (?, ?, ?, ?)'),
    getVector: db.prepare('SELECT vector FROM kb_vectors WHERE model = ? AND embed_hash = ?').pluck(),
    allVectors: db.prepare('SELECT embed_hash, vector FROM kb_vectors WHERE model = ?'),
  };

  const putVectors = (model: string, entries: ReadonlyMap<string, Float32Array>) => {
    for (const [hash, v] of entries) q.putVector.run(model, hash, v.length, Buffer.from(v.buffer, v.byteOffset, v.byteLength));
  };
  const dropOrphans = (hashes: readonly string[]) => {
    for (const h of hashes) q.dropOrphanVector.run(h, h);
  };

  const put = db.transaction(
    (doc: StoredDocument, chunks: readonly StoredChunk[], vectors?: { model: string; entries: ReadonlyMap<string, Float32Array> }) => {
      const previous = q.docEmbedHashes.all(doc.id) as string[];
      q.deleteChunks.run(doc.id);
      q.upsertDoc.run(doc);
      for (const c of chunks) q.insertChunk.run(c.id, doc.id, c.ord, JSON.stringify(c.headingPath), c.text, c.embedHash, c.terms ? asBuffer(c.terms) : null);
      if (vectors) putVectors(vectors.model, vectors.entries);
      dropOrphans(previous);
      q.logChange.run(doc.id);
    },
  );
  const putTerms = db.transaction((updates: readonly ChunkTermsUpdate[]) => {
    let saved = 0;
    for (const u of updates) saved += q.putTerms.run(asBuffer(u.terms), u.chunkId, u.embedHash).changes;
    return saved;
  });
  // One read transaction: a consistent snapshot, whatever other processes write meanwhile.
  const eachChunk = db.transaction((visit: (chunk: StoredChunk) => void) => {
    for (const id of q.docOrder.all() as string[]) for (const row of q.docChunks.iterate(id) as Iterable<ChunkRow>) visit(toChunk(row));
  });
  const remove = db.transaction((id: string) => {
    const previous = q.docEmbedHashes.all(id) as string[];
    const existed = q.deleteDoc.run(id).changes > 0; // chunks go by ON DELETE CASCADE
    dropOrphans(previous);
    if (existed) q.logChange.run(id);
    return existed;
  });

  let closed = false;
  return {
    async listDocuments() {
      return (q.listDocs.all() as DocumentRow[]).map(toDocument);
    },
    async getDocument(id) {
      const row = q.getDoc.get(id) as DocumentRow | undefined;
      return row && toDocument(row);
    },
    async putDocument(doc, chunks, vectors) {
      put.immediate(doc, chunks, vectors);
    },
    async removeDocument(id) {
      return remove.immediate(id);
    },
    async listChunks(docId) {
      if (docId !== undefined) return (q.docChunks.all(docId) as ChunkRow[]).map(toChunk);
      const all: StoredChunk[] = [];
      eachChunk((c) => all.push(c));
      return all;
    },
    async forEachChunk(visit) {
      eachChunk(visit);
    },
    async getVectors(model, embedHashes) {
      const out = new Map<string, Float32Array>();
      if (embedHashes === undefined) {
        for (const row of q.allVectors.iterate(model) as Iterable<{ embed_hash: string; vector: Buffer }>) {
          out.set(row.embed_hash, toFloat32(row.vector));
        }
      } else {
        for (const hash of embedHashes) {
          const blob = q.getVector.get(model, hash) as Buffer | undefined;
          if (blob) out.set(hash, toFloat32(blob));
        }
      }
      return out;
    },
    async putVectors(model, entries) {
      db.transaction(() => putVectors(model, entries)).immediate();
    },
    async putChunkTerms(updates) {
      return putTerms.immediate(updates);
    },
    async generation() {
      return q.generation.get() as number;
    },
    async changedSince(since) {
      const rows = q.changedSince.all(since) as Array<{ seq: number; doc_id: string }>;
      // An empty answer keeps `since`: max(seq) read separately could already include a newer write.
      return { generation: rows.at(-1)?.seq ?? since, docIds: rows.map((r) => r.doc_id) };
    },
    async close() {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
}

interface DocumentRow {
  id: string;
  name: string;
  source: string;
  title: string;
  hash: string;
  pipeline: string;
  bytes: number;
  chunk_count: number;
  added_at: number;
}

interface ChunkRow {
  id: string;
  doc_id: string;
  ord: number;
  heading_path: string;
  text: string;
  embed_hash: string;
  terms: Buffer | null;
}

function toDocument(r: DocumentRow): StoredDocument {
  return {
    id: r.id,
    name: r.name,
    source: r.source,
    title: r.title,
    hash: r.hash,
    pipeline: r.pipeline,
    bytes: r.bytes,
    chunkCount: r.chunk_count,
    addedAt: r.added_at,
  };
}

function toChunk(r: ChunkRow): StoredChunk {
  return {
    id: r.id,
    docId: r.doc_id,
    ord: r.ord,
    headingPath: JSON.parse(r.heading_path) as string[],
    text: r.text,
    embedHash: r.embed_hash,
    ...(r.terms && { terms: r.terms }),
  };
}

/** better-sqlite3 binds Buffers as BLOBs; a plain Uint8Array is viewed as one, not copied. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Copies: a BLOB's Buffer may sit at an offset that is not a multiple of 4. */
function toFloat32(blob: Buffer): Float32Array {
  const copy = new Uint8Array(blob.byteLength);
  copy.set(blob);
  return new Float32Array(copy.buffer);
}

function migrate(db: Database.Database): void {
  db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > MIGRATIONS.length) {
      throw new Error(`knowledge-base schema version ${version} is newer than this build knows (${MIGRATIONS.length})`);
    }
    for (let v = version; v < MIGRATIONS.length; v++) {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    }
  }).immediate();
}
