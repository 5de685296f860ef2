import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startFakeLlmServer } from '../../test/support/fake-llm-server.js';
import { createOpenAiCompatibleEmbedder } from './embed/openai-compatible-embedder.js';
import { KbError } from './kb-error.js';
import { openKnowledgeBase, type KnowledgeBase } from './knowledge-base.js';
import { loadSampleIfEmpty } from './load-sample-if-empty.js';
import { DEFAULT_MIN_RELEVANCE, isRelevant } from './relevance.js';
import { openSqliteKbStore } from './store/sqlite-kb-store.js';

const root = mkdtempSync(join(tmpdir(), 'kb-test-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `case-${n++}`);
const sqliteIn = (dir: string) => openSqliteKbStore(join(dir, 'kb.sqlite'));

const GUIDE_V1 = '# 接入指南\n\n## 服务器域名\n\n在开发设置中把 wss 域名加入 socket 合法域名。\n\n## 证书\n\n服务器必须支持 TLS 1.2 及以上版本。\n';
const GUIDE_V2 = '# 接入指南\n\n## 服务器域名\n\n在开发设置中把 wss 域名加入 socket 合法域名。\n\n## 超时\n\nnginx 的 proxy_read_timeout 默认 60 秒，需要调大。\n';

/** Everything observable about a knowledge base's contents. */
async function snapshot(kb: KnowledgeBase) {
  return { docs: await kb.listDocuments(), size: kb.size(), hits: await kb.search('合法域名 TLS proxy_read_timeout', { k: 10 }) };
}

test('re-adding an unchanged file is a no-op; a changed one replaces its chunks', async () => {
  const dir = freshDir();
  const file = join(root, `guide-${n}.md`);
  writeFileSync(file, GUIDE_V1);
  const kb = await openKnowledgeBase({ store: sqliteIn(dir) });
  const first = await kb.addFile(file, { displayName: 'docs/接入指南.md' });
  assert.equal(first.status, 'added');
  assert.equal(first.chunks, 2);
  const before = await snapshot(kb);

  const again = await kb.addFile(file, { displayName: 'docs/接入指南.md' });
  assert.deepEqual(again, { ...first, status: 'unchanged' });
  assert.deepEqual(await snapshot(kb), before, 'nothing changed, not even addedAt or chunk ids');

  writeFileSync(file, GUIDE_V2);
  const replaced = await kb.addFile(file, { displayName: 'docs/接入指南.md' });
  assert.equal(replaced.status, 'replaced');
  assert.equal(replaced.docId, first.docId);
  assert.equal(kb.size(), 2);
  assert.equal((await kb.listDocuments()).length, 1);
  assert.deepEqual(await kb.search('TLS 1.2 证书'), [], 'the old chunk is gone');
  const [hit] = await kb.search('proxy_read_timeout 默认多少秒');
  assert.equal(hit?.source, 'docs/接入指南.md');
  assert.equal(hit?.title, '接入指南');
  assert.deepEqual(hit?.headingPath, ['超时']);
  await kb.close();

  // The same state after a restart, from SQLite.
  const reopened = await openKnowledgeBase({ store: sqliteIn(dir) });
  assert.equal(reopened.size(), 2);
  assert.deepEqual((await reopened.search('proxy_read_timeout 默认多少秒'))[0]?.chunkId, hit?.chunkId);
  assert.equal((await reopened.addFile(file, { displayName: 'docs/接入指南.md' })).status, 'unchanged');
  await reopened.close();
});

test('a corrupt PDF, an empty file or an unknown type is a clear error and changes nothing', async () => {
  const kb = await openKnowledgeBase({ store: sqliteIn(freshDir()) });
  await kb.addBuffer('接入指南.md', Buffer.from(GUIDE_V1));
  const before = await snapshot(kb);
  const failures: Array<[string, Buffer, KbError['kind']]> = [
    ['manual.pdf', Buffer.from('%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage'), 'parse_failed'],
    ['empty.md', Buffer.alloc(0), 'empty_document'],
    // Replacing an existing document with a broken version keeps the old one.
    ['接入指南.md', Buffer.alloc(0), 'empty_document'],
    ['photo.jpg', Buffer.from([0xff, 0xd8]), 'unsupported_type'],
  ];
  for (const [name, data, kind] of failures) {
    await assert.rejects(kb.addBuffer(name, data), (e: unknown) => KbError.is(e) && e.kind === kind && e.message.includes(name));
    assert.deepEqual(await snapshot(kb), before, `${name} left the knowledge base as it was`);
  }
  await kb.close();
});

test('documents are removed by id, name or source', async () => {
  const kb = await openKnowledgeBase({ store: sqliteIn(freshDir()) });
  const a = await kb.addBuffer('a.md', Buffer.from('# A\n\n甲文档的内容。'));
  await kb.addBuffer('b.txt', Buffer.from('乙文档的内容。'), { source: 'upload/b.txt' });
  await kb.addBuffer('c.md', Buffer.from('丙文档的内容。'));
  assert.equal(await kb.removeDocument(a.docId), true);
  assert.equal(await kb.removeDocument('upload/b.txt'), true);
  assert.equal(await kb.removeDocument('c.md'), true);
  assert.equal(await kb.removeDocument('c.md'), false);
  assert.equal(kb.size(), 0);
  assert.deepEqual(await kb.search('文档的内容'), []);
  await kb.close();
});

test('Q&A files keep each pair whole as one chunk', async () => {
  const kb = await openKnowledgeBase({ store: sqliteIn(freshDir()) });
  const csv = 'question,answer\n登录报错 40163 怎么办？,"code 只能使用一次。\n请重新调用 wx.login() 获取新的 code。"\n怎么配置域名？,在开发设置里配置。\n';
  assert.equal((await kb.addBuffer('faq.csv', Buffer.from(csv))).chunks, 2);
  const [hit] = await kb.search('40163');
  assert.equal(hit?.text, '问：登录报错 40163 怎么办？\n答：code 只能使用一次。\n请重新调用 wx.login() 获取新的 code。');
  await kb.close();
});

test('the sample knowledge base loads when empty and answers the domain question with its source', async () => {
  const kb = await openKnowledgeBase({ store: sqliteIn(freshDir()) });
  const sampleDir = fileURLToPath(new URL('../../kb-sample', import.meta.url));
  const loaded = await loadSampleIfEmpty(kb, sampleDir);
  assert.ok(loaded.length >= 4 && loaded.every((r) => r.status === 'added'));
  assert.deepEqual(await loadSampleIfEmpty(kb, sampleDir), [], 'only when empty');

  const [top] = await kb.search('socket 合法域名怎么配置？');
  assert.equal(top?.source, 'kb-sample/接入指南.md');
  assert.deepEqual(top?.headingPath, ['配置服务器域名', 'socket 合法域名']);
  assert.match(top!.text, /开发管理 → 开发设置 → 服务器域名/);
  assert.ok(isRelevant(top!), `relevance ${top!.relevance} ≥ ${DEFAULT_MIN_RELEVANCE}`);

  const offTopic = await kb.search('红烧肉怎么做才好吃');
  assert.ok(offTopic.every((h) => !isRelevant(h)), 'an unrelated question finds nothing worth quoting');
  await kb.close();
});

test('with an embedder: chunks embedded at ingest, hybrid search, nothing re-embedded at restart', async () => {
  const llm = await startFakeLlmServer({ apiKey: 'k', embeddingDimensions: 32 });
  try {
    const embedder = createOpenAiCompatibleEmbedder({ baseUrl: llm.baseUrl, apiKey: 'k', model: 'fake-embed', retryBaseMs: 5 });
    const inputs = () =>
      llm.requests.filter((r) => r.path.endsWith('/embeddings')).flatMap((r) => (r.body as { input: string[] }).input);
    const dir = freshDir();
    const kb = await openKnowledgeBase({ store: sqliteIn(dir), embedder });
    await kb.addBuffer('接入指南.md', Buffer.from(GUIDE_V1));
    assert.equal(inputs().length, 2, 'two chunks embedded, in one batch');
    assert.match(inputs()[0]!, /^接入指南\n服务器域名\n/, 'title and headings give the vector context');

    const hits = await kb.search('socket 合法域名');
    assert.equal(inputs().length, 3, 'the query was embedded');
    assert.deepEqual(hits[0]?.headingPath, ['服务器域名']);
    assert.ok(hits.every((h) => h.relevance >= 0 && h.relevance <= 1));

    // A changed document re-embeds only the chunk whose text changed.
    await kb.addBuffer('接入指南.md', Buffer.from(GUIDE_V2));
    assert.equal(inputs().length, 4);
    await kb.close();

    // Restart: vectors come from SQLite.
    const reopened = await openKnowledgeBase({ store: sqliteIn(dir), embedder });
    assert.equal(inputs().length, 4, 'no chunk re-embedded at start');
    assert.equal((await reopened.search('proxy_read_timeout'))[0]?.headingPath[0], '超时');

    // An embedding outage at ingest fails the add and stores nothing.
    llm.pushFault({ status: 400, message: 'input too long' });
    await assert.rejects(reopened.addBuffer('new.md', Buffer.from('全新的文档内容。')), (e: unknown) => KbError.is(e) && e.kind === 'embedding_failed');
    assert.equal((await reopened.listDocuments()).length, 1);
    // At query time it falls back to BM25 alone instead of failing the chat.
    llm.pushFault({ status: 400 });
    assert.equal((await reopened.search('proxy_read_timeout'))[0]?.headingPath[0], '超时');
    await reopened.close();
  } finally {
    await llm.close();
  }
});

test('enabling embeddings on an existing knowledge base embeds its chunks once, at open', async () => {
  const llm = await startFakeLlmServer({ embeddingDimensions: 8 });
  try {
    const dir = freshDir();
    const plain = await openKnowledgeBase({ store: sqliteIn(dir) });
    await plain.addBuffer('接入指南.md', Buffer.from(GUIDE_V1));
    await plain.close();
    const embedder = createOpenAiCompatibleEmbedder({ baseUrl: llm.baseUrl, model: 'fake-embed' });
    const kb = await openKnowledgeBase({ store: sqliteIn(dir), embedder });
    assert.equal(llm.requests.length, 1);
    await kb.close();
    const store = openSqliteKbStore(join(dir, 'kb.sqlite'));
    assert.equal((await store.getVectors(embedder.model)).size, 2);
    await store.close();
    await (await openKnowledgeBase({ store: sqliteIn(dir), embedder })).close();
    assert.equal(llm.requests.length, 1, 'and not again');
  } finally {
    await llm.close();
  }
});

test('concurrent adds are serialised and all land', async () => {
  const kb = await openKnowledgeBase({ store: sqliteIn(freshDir()) });
  const results = await Promise.all(
    Array.from({ length: 10 }, (_, i) => kb.addBuffer(`doc-${i}.md`, Buffer.from(`# 文档${i}\n\n第${i}号文档的独特内容。`))),
  );
  assert.ok(results.every((r) => r.status === 'added'));
  assert.equal((await kb.listDocuments()).length, 10);
  await kb.close();
  await kb.close(); // idempotent
});
