import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { kbStoreContract } from './kb-store.contract.js';
import { openSqliteKbStore } from './sqlite-kb-store.js';

const dir = mkdtempSync(join(tmpdir(), 'kb-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

kbStoreContract('sqlite', async () => openSqliteKbStore(join(dir, `kb-${n++}.sqlite`)));

test('sqlite: data survives reopening the file, vectors bit for bit', async () => {
  const file = join(dir, 'reopen.sqlite');
  const store = openSqliteKbStore(file);
  const v = Float32Array.of(0.1, -2.5, 3e-8);
  await store.putDocument(
    { id: 'd', name: 'd.md', source: 'd.md', title: 'T', hash: 'h', pipeline: 'p', bytes: 1, chunkCount: 1, addedAt: 1 },
    [{ id: 'd:0', docId: 'd', ord: 0, headingPath: ['章'], text: '文', embedHash: 'e' }],
    { model: 'm', entries: new Map([['e', v]]) },
  );
  await store.close();
  await store.close(); // idempotent
  const again = openSqliteKbStore(file);
  assert.equal((await again.listChunks())[0]?.text, '文');
  assert.deepEqual(await again.getVectors('m'), new Map([['e', v]]));
  await again.close();
});

test('sqlite: two connections to one file see each other\'s writes through the change log', async () => {
  const file = join(dir, 'shared.sqlite');
  const gateway = openSqliteKbStore(file);
  const cli = openSqliteKbStore(file);
  const since = await gateway.generation();
  await cli.putDocument(
    { id: 'd', name: 'd.md', source: 'd.md', title: 'T', hash: 'h', pipeline: 'p', bytes: 1, chunkCount: 1, addedAt: 1 },
    [{ id: 'd:0', docId: 'd', ord: 0, headingPath: [], text: '文', embedHash: 'e' }],
  );
  const changes = await gateway.changedSince(since);
  assert.deepEqual(changes.docIds, ['d']);
  assert.equal((await gateway.listChunks('d'))[0]?.text, '文');
  await cli.removeDocument('d');
  assert.deepEqual((await gateway.changedSince(changes.generation)).docIds, ['d']);
  assert.equal(await gateway.getDocument('d'), undefined);
  await Promise.all([gateway.close(), cli.close()]);
});
