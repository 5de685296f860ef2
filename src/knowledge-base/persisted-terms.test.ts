import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { until } from '../../test/support/wait.js';
import { prepareDocument } from './ingest/prepare-document.js';
import { openKnowledgeBase, type KbLogger, type KnowledgeBase } from './knowledge-base.js';
import { loadSampleIfEmpty } from './load-sample-if-empty.js';
import { openSqliteKbStore } from './store/sqlite-kb-store.js';

const root = mkdtempSync(join(tmpdir(), 'kb-terms-'));
after(() => rmSync(root, { recursive: true, force: true }));
const sampleDir = fileURLToPath(new URL('../../kb-sample', import.meta.url));
const QUERIES = ['socket 合法域名怎么配置？', 'proxy_read_timeout 设置多少', '如何部署到服务器', 'HTTPS 证书', '登录失败 40163', '模型超时怎么办'];
let n = 0;

/** Counts the chunks the knowledge base had to tokenize at open ("stored without index terms"). */
function openCounting(file: string, syncIntervalMs = 0) {
  const tokenized: number[] = [];
  const applied: object[] = [];
  const logger: KbLogger = {
    info: (obj, msg) => {
      if (msg?.includes('without index terms')) tokenized.push((obj as { chunks: number }).chunks);
      if (msg?.includes('changed by another process')) applied.push(obj);
    },
    warn: (obj, msg) => assert.fail(`unexpected warning: ${msg} ${JSON.stringify(obj)}`),
  };
  return { kb: openKnowledgeBase({ store: openSqliteKbStore(file), logger, syncIntervalMs }), tokenized, applied };
}

async function sampleFile(): Promise<string> {
  const file = join(root, `kb-${n++}.sqlite`);
  const kb = await openKnowledgeBase({ store: openSqliteKbStore(file), syncIntervalMs: 0 });
  await loadSampleIfEmpty(kb, sampleDir);
  await kb.close();
  return file;
}

const results = async (kb: KnowledgeBase) => Promise.all(QUERIES.map((q) => kb.search(q, { k: 8 })));

/** Runs SQL on the file the way another tool (or an older build) would. */
function sql(file: string, run: (db: Database.Database) => void): void {
  const db = new Database(file);
  try {
    run(db);
  } finally {
    db.close();
  }
}

test('an index loaded from persisted terms ranks exactly as one built by tokenizing every chunk', async () => {
  const file = await sampleFile();
  const copy = join(root, `kb-${n++}.sqlite`);
  copyFileSync(file, copy);
  sql(copy, (db) => db.exec('UPDATE kb_chunks SET terms = NULL'));

  const persisted = openCounting(file);
  const fresh = openCounting(copy);
  const [a, b] = await Promise.all([persisted.kb, fresh.kb]);
  try {
    assert.deepEqual(persisted.tokenized, [], 'nothing tokenized: every chunk had its terms');
    assert.deepEqual(fresh.tokenized, [a.size()], 'every chunk tokenized');
    const expected = await results(b);
    assert.ok(expected.every((hits) => hits.length > 0));
    assert.deepEqual(await results(a), expected, 'same chunks, same scores, same relevance');
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

test('an older database (no terms column) is migrated: terms computed once, saved, then read', async () => {
  const file = await sampleFile();
  const expected = await (async () => {
    const kb = await openKnowledgeBase({ store: openSqliteKbStore(file), syncIntervalMs: 0 });
    const r = await results(kb);
    await kb.close();
    return r;
  })();
  // What the previous schema version looked like.
  sql(file, (db) => {
    db.exec('ALTER TABLE kb_chunks DROP COLUMN terms');
    db.pragma('user_version = 2');
  });

  const first = openCounting(file);
  const kb = await first.kb;
  assert.deepEqual(first.tokenized, [kb.size()]);
  assert.deepEqual(await results(kb), expected);
  await kb.close();
  sql(file, (db) => {
    assert.equal(db.pragma('user_version', { simple: true }), 3);
    assert.equal(db.prepare('SELECT count(*) FROM kb_chunks WHERE terms IS NULL').pluck().get(), 0, 'all saved');
  });

  const second = openCounting(file);
  const again = await second.kb;
  assert.deepEqual(second.tokenized, [], 'read, not recomputed');
  assert.deepEqual(await results(again), expected);
  await again.close();
});

test('damaged, foreign or missing terms fall back to tokenizing that chunk, and are repaired', async () => {
  const file = await sampleFile();
  const expected = await (async () => {
    const kb = await openKnowledgeBase({ store: openSqliteKbStore(file), syncIntervalMs: 0 });
    const r = await results(kb);
    await kb.close();
    return r;
  })();
  sql(file, (db) => {
    const ids = db.prepare('SELECT id FROM kb_chunks ORDER BY id LIMIT 5').pluck().all() as string[];
    const terms = (id: string) => db.prepare('SELECT terms FROM kb_chunks WHERE id = ?').pluck().get(id) as Buffer;
    const set = db.prepare('UPDATE kb_chunks SET terms = ? WHERE id = ?');
    set.run(Buffer.from('not terms at all'), ids[0]); // garbage
    set.run(terms(ids[1]!).subarray(0, 30), ids[1]); // truncated
    set.run(terms(ids[3]!), ids[2]); // another chunk's
    set.run(Buffer.alloc(0), ids[3]); // empty
    set.run(null, ids[4]); // missing
  });

  const first = openCounting(file);
  const kb = await first.kb;
  assert.deepEqual(first.tokenized, [5]);
  assert.deepEqual(await results(kb), expected);
  await kb.close();

  const second = openCounting(file);
  const again = await second.kb;
  assert.deepEqual(second.tokenized, [], 'the repaired terms were saved');
  await again.close();
});

test('a document another process stores without terms (an older build) is indexed, and its terms saved', async () => {
  const file = join(root, `kb-${n++}.sqlite`);
  const server = openCounting(file, 20);
  const kb = await server.kb;
  const other = openSqliteKbStore(file);
  try {
    const { doc, chunks } = await prepareDocument({ name: '售后政策.md', source: '售后政策.md', data: Buffer.from('# 售后政策\n\n## 换货\n\n换货的运费由商家承担。\n') });
    await other.putDocument(doc, chunks);
    await until(() => server.applied.length === 1, 'the other process\'s add to be applied');
    assert.equal((await kb.search('换货的运费'))[0]?.source, '售后政策.md');
    assert.ok((await other.listChunks(doc.id)).every((c) => c.terms && c.terms.byteLength > 0), 'terms saved for the next start');
    await other.removeDocument(doc.id);
    await until(() => server.applied.length === 2, 'the removal to be applied');
    assert.deepEqual(await kb.search('换货的运费'), []);
  } finally {
    await Promise.all([kb.close(), other.close()]);
  }
});
