import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { startFakeLlmServer } from '../../test/support/fake-llm-server.js';
import { until } from '../../test/support/wait.js';
import { createOpenAiCompatibleEmbedder } from './embed/openai-compatible-embedder.js';
import { openKnowledgeBase, type KbLogger, type KnowledgeBase } from './knowledge-base.js';
import { openSqliteKbStore } from './store/sqlite-kb-store.js';

const root = mkdtempSync(join(tmpdir(), 'kb-follow-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** Counts the follower's "applied" events, so a test waits for them instead of sleeping. */
function syncLog() {
  const applied: object[] = [];
  const logger: KbLogger = {
    info: (obj, msg) => void (msg?.includes('changed by another process') && applied.push(obj)),
    warn: () => {},
  };
  return { applied, logger };
}

test('a running knowledge base picks up documents another process adds, replaces and removes', async () => {
  const file = join(root, `kb-${n++}.sqlite`);
  const { applied, logger } = syncLog();
  const server = await openKnowledgeBase({ store: openSqliteKbStore(file), logger, syncIntervalMs: 20 });
  const cli = await openKnowledgeBase({ store: openSqliteKbStore(file), syncIntervalMs: 0 });
  try {
    await cli.addBuffer('kb-sample/售后政策.md', Buffer.from('# 售后政策\n\n## 换货\n\n换货的运费由商家承担。\n'));
    await until(() => applied.length === 1, 'the add to be applied');
    const [hit] = await server.search('换货的运费');
    assert.equal(hit?.source, 'kb-sample/售后政策.md');
    assert.equal(server.size(), 1);

    await cli.addBuffer('kb-sample/售后政策.md', Buffer.from('# 售后政策\n\n## 退货\n\n七天无理由退货。\n'));
    await until(() => applied.length === 2, 'the replacement to be applied');
    assert.deepEqual((await server.search('退货'))[0]?.headingPath, ['退货']);
    assert.deepEqual(await server.search('换货运费'), [], 'the old version is gone');

    assert.equal(await cli.removeDocument('售后政策.md'), true);
    await until(() => applied.length === 3, 'the removal to be applied');
    assert.equal(server.size(), 0);
    assert.deepEqual(await server.listDocuments(), []);

    // Its own writes are in the change log too, and are not applied twice.
    await server.addBuffer('own.md', Buffer.from('自己写入的文档。'));
    await cli.addBuffer('other.md', Buffer.from('另一个进程写入的文档。'));
    await until(() => applied.length === 4, 'the second add to be applied');
    assert.deepEqual(applied[3], { documents: 1, chunks: 2 }, 'only the other process\'s document was re-read');
  } finally {
    await Promise.all([server.close(), cli.close()]);
  }
});

test('a document added without embeddings is embedded by the process that has them', async () => {
  const llm = await startFakeLlmServer({ embeddingDimensions: 8 });
  const file = join(root, `kb-${n++}.sqlite`);
  const { applied, logger } = syncLog();
  const embedder = createOpenAiCompatibleEmbedder({ baseUrl: llm.baseUrl, model: 'fake-embed' });
  const opened: KnowledgeBase[] = [];
  try {
    const server = await openKnowledgeBase({ store: openSqliteKbStore(file), embedder, logger, syncIntervalMs: 20 });
    opened.push(server);
    const cli = await openKnowledgeBase({ store: openSqliteKbStore(file), syncIntervalMs: 0 });
    opened.push(cli);
    await cli.addBuffer('faq.md', Buffer.from('# 常见问题\n\n## 域名\n\n在开发设置中配置 socket 合法域名。\n'));
    await until(() => applied.length === 1, 'the add to be applied');
    const store = openSqliteKbStore(file);
    assert.equal((await store.getVectors(embedder.model)).size, 1, 'its chunk was embedded and saved');
    await store.close();
    assert.equal((await server.search('合法域名'))[0]?.headingPath[0], '域名');
  } finally {
    await Promise.all([...opened.map((kb) => kb.close()), llm.close()]);
  }
});

test('remove by file name finds the stored path when unambiguous and lists the candidates when not', async () => {
  const kb = await openKnowledgeBase({ store: openSqliteKbStore(join(root, `kb-${n++}.sqlite`)) });
  try {
    await kb.addBuffer('kb-sample/售后政策.md', Buffer.from('售后政策的内容。'));
    await kb.addBuffer('kb-sample/常见问题.md', Buffer.from('常见问题的内容。'));
    await kb.addBuffer('旧版/常见问题.md', Buffer.from('旧版常见问题的内容。'));

    assert.deepEqual((await kb.findDocuments('售后政策.md')).map((d) => d.name), ['kb-sample/售后政策.md']);
    assert.equal(await kb.removeDocument('售后政策.md'), true);

    assert.deepEqual((await kb.findDocuments('常见问题.md')).map((d) => d.name).sort(), ['kb-sample/常见问题.md', '旧版/常见问题.md'].sort());
    assert.equal(await kb.removeDocument('常见问题.md'), false, 'ambiguous: nothing removed');
    assert.equal((await kb.listDocuments()).length, 2);
    assert.equal(await kb.removeDocument('旧版/常见问题.md'), true, 'the full name still works');
    assert.deepEqual(await kb.findDocuments('不存在.md'), []);
  } finally {
    await kb.close();
  }
});
