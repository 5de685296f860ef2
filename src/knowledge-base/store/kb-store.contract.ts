import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KbStore, StoredChunk, StoredDocument } from './kb-store.js';

/**
 * The behaviour every KbStore driver must have, run by each driver's test file against its
 * real backend. `open` returns a fresh, empty store each call.
 */
export function kbStoreContract(driver: string, open: () => Promise<KbStore>): void {
  const doc = (id: string, extra: Partial<StoredDocument> = {}): StoredDocument => ({
    id,
    name: `${id}.md`,
    source: `docs/${id}.md`,
    title: `标题 ${id}`,
    hash: 'h1',
    pipeline: 'p1',
    bytes: 10,
    chunkCount: 2,
    addedAt: 1_700_000_000_000,
    ...extra,
  });
  const chunk = (docId: string, ord: number, embedHash = `${docId}-e${ord}`): StoredChunk => ({
    id: `${docId}:${ord}`,
    docId,
    ord,
    headingPath: ['一级', '二级'],
    text: `正文 ${docId} ${ord}`,
    embedHash,
  });
  const vec = (...xs: number[]) => Float32Array.from(xs);

  test(`${driver}: documents and chunks round-trip`, async () => {
    const store = await open();
    await store.putDocument(doc('a'), [chunk('a', 0), chunk('a', 1)]);
    await store.putDocument(doc('b', { chunkCount: 1 }), [chunk('b', 0)]);
    assert.deepEqual(await store.getDocument('a'), doc('a'));
    assert.equal(await store.getDocument('zz'), undefined);
    assert.deepEqual((await store.listDocuments()).map((d) => d.id).sort(), ['a', 'b']);
    assert.deepEqual(await store.listChunks(), [chunk('a', 0), chunk('a', 1), chunk('b', 0)]);
    await store.close();
  });

  test(`${driver}: putDocument replaces the document and all its chunks`, async () => {
    const store = await open();
    await store.putDocument(doc('a'), [chunk('a', 0), chunk('a', 1)]);
    await store.putDocument(doc('a', { hash: 'h2', chunkCount: 1 }), [{ ...chunk('a', 0), id: 'a:new', text: '新正文' }]);
    assert.equal((await store.getDocument('a'))?.hash, 'h2');
    assert.deepEqual((await store.listChunks()).map((c) => [c.id, c.text]), [['a:new', '新正文']]);
    await store.close();
  });

  test(`${driver}: vectors are stored per model and embed hash, and dropped with their last chunk`, async () => {
    const store = await open();
    await store.putDocument(doc('a'), [chunk('a', 0, 'shared'), chunk('a', 1, 'only-a')], {
      model: 'm1',
      entries: new Map([['shared', vec(1, 2)], ['only-a', vec(3, 4)]]),
    });
    await store.putDocument(doc('b'), [chunk('b', 0, 'shared')]);
    await store.putVectors('m2', new Map([['shared', vec(9, 9, 9)]]));
    assert.deepEqual(await store.getVectors('m1', ['shared', 'missing']), new Map([['shared', vec(1, 2)]]));
    assert.deepEqual(await store.getVectors('m2'), new Map([['shared', vec(9, 9, 9)]]));

    assert.equal(await store.removeDocument('a'), true);
    assert.equal(await store.removeDocument('a'), false);
    // 'only-a' lost its last chunk; 'shared' is still used by b
    assert.deepEqual([...(await store.getVectors('m1')).keys()], ['shared']);
    assert.deepEqual((await store.listChunks()).map((c) => c.docId), ['b']);
    await store.close();
  });

  test(`${driver}: listChunks(docId) gives one document's chunks in order`, async () => {
    const store = await open();
    await store.putDocument(doc('a'), [chunk('a', 0), chunk('a', 1)]);
    await store.putDocument(doc('b', { chunkCount: 1 }), [chunk('b', 0)]);
    assert.deepEqual(await store.listChunks('a'), [chunk('a', 0), chunk('a', 1)]);
    assert.deepEqual(await store.listChunks('zz'), []);
    await store.close();
  });

  test(`${driver}: the change log names each written or removed document once, oldest change first`, async () => {
    const store = await open();
    assert.equal(await store.generation(), 0);
    assert.deepEqual(await store.changedSince(0), { generation: 0, docIds: [] });
    await store.putDocument(doc('a'), [chunk('a', 0)]);
    await store.putDocument(doc('b'), [chunk('b', 0)]);
    await store.putDocument(doc('a', { hash: 'h2' }), [chunk('a', 0)]);
    const first = await store.changedSince(0);
    assert.deepEqual(first.docIds, ['b', 'a']);
    assert.equal(first.generation, await store.generation());
    assert.deepEqual(await store.changedSince(first.generation), { generation: first.generation, docIds: [] });

    assert.equal(await store.removeDocument('zz'), false);
    assert.equal(await store.generation(), first.generation, 'removing nothing is no change');
    await store.removeDocument('b');
    await store.putVectors('m', new Map([['a-e0', vec(1)]]));
    const second = await store.changedSince(first.generation);
    assert.deepEqual(second.docIds, ['b'], 'vectors alone change no document');
    assert.ok(second.generation > first.generation);
    await store.close();
  });

  test(`${driver}: index terms round-trip, and are saved later only onto the chunk content they came from`, async () => {
    const store = await open();
    const bytes = (...xs: number[]) => Uint8Array.from(xs);
    const plain = (cs: StoredChunk[]) => cs.map((c) => ({ id: c.id, terms: c.terms && [...c.terms] }));
    await store.putDocument(doc('a'), [{ ...chunk('a', 0), terms: bytes(1, 2, 3, 4) }, chunk('a', 1)]);
    assert.deepEqual(plain(await store.listChunks()), [{ id: 'a:0', terms: [1, 2, 3, 4] }, { id: 'a:1', terms: undefined }]);
    const since = await store.generation();
    const saved = await store.putChunkTerms([
      { chunkId: 'a:1', embedHash: 'a-e1', terms: bytes(5, 6, 7, 8) },
      { chunkId: 'a:0', embedHash: 'stale', terms: bytes(9, 9, 9, 9) }, // its content changed meanwhile: left alone
      { chunkId: 'zz:0', embedHash: 'zz-e0', terms: bytes(9, 9, 9, 9) }, // gone
    ]);
    assert.equal(saved, 1);
    assert.deepEqual(plain(await store.listChunks('a')), [{ id: 'a:0', terms: [1, 2, 3, 4] }, { id: 'a:1', terms: [5, 6, 7, 8] }]);
    assert.deepEqual((await store.changedSince(since)).docIds, [], 'saving terms is no change');
    await store.close();
  });

  test(`${driver}: listChunks() and forEachChunk() group chunks in listDocuments() order, then by position`, async () => {
    const store = await open();
    await store.putDocument(doc('late', { addedAt: 3 }), [chunk('late', 0), chunk('late', 1)]);
    await store.putDocument(doc('b', { addedAt: 1 }), [chunk('b', 0)]);
    await store.putDocument(doc('a', { addedAt: 1 }), [chunk('a', 0)]);
    const order = (await store.listDocuments()).flatMap((d) => (d.id === 'late' ? ['late:0', 'late:1'] : [`${d.id}:0`]));
    assert.deepEqual((await store.listChunks()).map((c) => c.id), order);
    const visited: StoredChunk[] = [];
    await store.forEachChunk((c) => visited.push(c));
    assert.deepEqual(visited, await store.listChunks(), 'forEachChunk visits what listChunks lists');
    await store.close();
  });
}
