import type { KbStore, StoredChunk, StoredDocument } from './kb-store.js';

const copyChunk = (c: StoredChunk): StoredChunk => ({ ...c, headingPath: [...c.headingPath], ...(c.terms && { terms: c.terms.slice() }) });

/** Keeps everything in maps: for the evaluation, benchmarks and tests. Not durable. */
export function createMemoryKbStore(): KbStore {
  const documents = new Map<string, StoredDocument>();
  const chunks = new Map<string, StoredChunk[]>();
  const vectors = new Map<string, Map<string, Float32Array>>();
  // docId → the generation of its last change; re-set (delete + set) so iteration order is change order
  const changes = new Map<string, number>();
  let generation = 0;
  const changed = (docId: string) => {
    changes.delete(docId);
    changes.set(docId, ++generation);
  };

  const dropOrphanVectors = () => {
    const used = new Set<string>();
    for (const list of chunks.values()) for (const c of list) used.add(c.embedHash);
    for (const byHash of vectors.values()) for (const hash of byHash.keys()) if (!used.has(hash)) byHash.delete(hash);
  };
  const putVectors = (model: string, entries: ReadonlyMap<string, Float32Array>) => {
    let byHash = vectors.get(model);
    if (!byHash) vectors.set(model, (byHash = new Map()));
    for (const [hash, v] of entries) byHash.set(hash, Float32Array.from(v));
  };

  return {
    async listDocuments() {
      return [...documents.values()].map((d) => ({ ...d }));
    },
    async getDocument(id) {
      const doc = documents.get(id);
      return doc && { ...doc };
    },
    async putDocument(doc, docChunks, docVectors) {
      documents.set(doc.id, { ...doc });
      chunks.set(doc.id, docChunks.map(copyChunk));
      if (docVectors) putVectors(docVectors.model, docVectors.entries);
      dropOrphanVectors();
      changed(doc.id);
    },
    async removeDocument(id) {
      const existed = documents.delete(id);
      chunks.delete(id);
      if (existed) {
        dropOrphanVectors();
        changed(id);
      }
      return existed;
    },
    async listChunks(docId) {
      const selected = docId === undefined ? [...chunks.values()].flat() : (chunks.get(docId) ?? []);
      return selected.map(copyChunk);
    },
    async forEachChunk(visit) {
      for (const list of chunks.values()) for (const c of list) visit(copyChunk(c));
    },
    async getVectors(model, embedHashes) {
      const byHash = vectors.get(model) ?? new Map<string, Float32Array>();
      const out = new Map<string, Float32Array>();
      for (const hash of embedHashes ?? byHash.keys()) {
        const v = byHash.get(hash);
        if (v) out.set(hash, Float32Array.from(v));
      }
      return out;
    },
    async putVectors(model, entries) {
      putVectors(model, entries);
    },
    async putChunkTerms(updates) {
      const byId = new Map([...chunks.values()].flat().map((c) => [c.id, c]));
      let saved = 0;
      for (const u of updates) {
        const c = byId.get(u.chunkId);
        if (c?.embedHash !== u.embedHash) continue;
        c.terms = u.terms.slice();
        saved++;
      }
      return saved;
    },
    async generation() {
      return generation;
    },
    async changedSince(since) {
      const docIds = [...changes].filter(([, at]) => at > since).map(([docId]) => docId);
      return { generation, docIds };
    },
    async close() {},
  };
}
