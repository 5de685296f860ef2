import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Fastify from 'fastify';
import { openKnowledgeBase } from '../../knowledge-base/knowledge-base.js';
import { openSqliteKbStore } from '../../knowledge-base/store/sqlite-kb-store.js';
import { adminKbRoutes } from './admin-kb-routes.js';

const root = mkdtempSync(join(tmpdir(), 'admin-kb-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

const TOKEN = 'test-admin-token-0123456789abcdef';
const auth = { authorization: `Bearer ${TOKEN}` };

async function start({ adminToken = TOKEN as string | undefined, maxUploadBytes = undefined as number | undefined } = {}) {
  const kb = await openKnowledgeBase({ store: openSqliteKbStore(join(root, `kb-${n++}`, 'kb.sqlite')) });
  const app = Fastify();
  await app.register(adminKbRoutes, { kb, adminToken, ...(maxUploadBytes ? { maxUploadBytes } : {}) });
  // A route outside the plugin keeps its JSON parser and needs no admin token.
  app.post('/other', async (request) => ({ body: request.body }));
  await app.ready();
  return {
    app,
    kb,
    async close() {
      await app.close();
      await kb.close();
    },
  };
}

test('a missing, wrong or malformed token is rejected with 401 before anything runs', async () => {
  const { app, kb, close } = await start();
  const attempts: Array<Record<string, string>> = [
    {},
    { authorization: 'Bearer wrong' },
    { authorization: `Bearer ${TOKEN}x` },
    { authorization: TOKEN },
    { authorization: `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}` },
  ];
  for (const headers of attempts) {
    for (const [method, url] of [
      ['GET', '/admin/kb/documents'],
      ['POST', '/admin/kb/documents?name=x.md'],
      ['DELETE', '/admin/kb/documents/x.md'],
      ['GET', '/admin/kb/search?q=x'],
    ] as const) {
      const res = await app.inject({ method, url, headers, payload: method === 'POST' ? '# 文档\n\n内容。' : undefined });
      assert.equal(res.statusCode, 401, `${method} ${url} with ${JSON.stringify(headers)}`);
      assert.equal(res.json().data.reason, 'admin_unauthorized');
      assert.match(String(res.headers['www-authenticate']), /^Bearer/);
    }
  }
  assert.equal(kb.size(), 0, 'no upload got through');
  await close();
});

test('without ADMIN_TOKEN the admin API is off: a plain 404 that names no admin API', async () => {
  const { app, close } = await start({ adminToken: '' });
  for (const headers of [{}, auth, { authorization: 'Bearer ' }]) {
    const res = await app.inject({ method: 'GET', url: '/admin/kb/documents', headers });
    assert.equal(res.statusCode, 404);
    assert.doesNotMatch(res.body, /ADMIN_TOKEN|管理|admin_/, 'the app’s own 404 (test/hostile-review checks it equals any unknown path’s)');
  }
  await close();
});

test('upload, list, search and delete', async () => {
  const { app, close } = await start();
  const doc = '# 部署\n\n## nginx\n\nproxy_read_timeout 默认 60 秒，WebSocket 需要调大到 300s。\n';
  let res = await app.inject({
    method: 'POST',
    url: '/admin/kb/documents',
    headers: { ...auth, 'content-type': 'text/markdown', 'x-filename': encodeURIComponent('部署.md') },
    payload: doc,
  });
  assert.equal(res.statusCode, 201, res.body);
  const added = res.json().data;
  assert.deepEqual({ ...added, docId: typeof added.docId }, { docId: 'string', name: '部署.md', status: 'added', chunks: 1 });

  res = await app.inject({ method: 'POST', url: `/admin/kb/documents?name=${encodeURIComponent('部署.md')}`, headers: auth, payload: doc });
  assert.equal(res.statusCode, 200);
  assert.equal(res.json().data.status, 'unchanged');

  // A JSON Q&A file arrives as raw bytes, not as parsed JSON.
  res = await app.inject({
    method: 'POST',
    url: '/admin/kb/documents?name=faq.json',
    headers: { ...auth, 'content-type': 'application/json' },
    payload: JSON.stringify([{ question: '40163 是什么错误？', answer: 'code 已被使用。' }]),
  });
  assert.equal(res.statusCode, 201, res.body);

  res = await app.inject({ method: 'GET', url: '/admin/kb/documents', headers: auth });
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.json().data.documents.map((d: { name: string }) => d.name).sort(), ['faq.json', '部署.md']);
  assert.equal(res.json().data.chunks, 2);

  res = await app.inject({ method: 'GET', url: `/admin/kb/search?q=${encodeURIComponent('proxy_read_timeout 多少秒')}&k=1`, headers: auth });
  const [hit] = res.json().data.hits;
  assert.equal(hit.source, '部署.md');
  assert.deepEqual(hit.headingPath, ['nginx']);
  assert.ok(hit.score > 0 && hit.relevance > 0.5);

  res = await app.inject({ method: 'DELETE', url: `/admin/kb/documents/${added.docId}`, headers: auth });
  assert.equal(res.statusCode, 200);
  res = await app.inject({ method: 'DELETE', url: '/admin/kb/documents/faq.json', headers: auth });
  assert.equal(res.statusCode, 200);
  assert.equal(res.json().data.chunks, 0);
  res = await app.inject({ method: 'DELETE', url: '/admin/kb/documents/faq.json', headers: auth });
  assert.equal(res.statusCode, 404);
  assert.equal(res.json().data.reason, 'kb_not_found');

  // Other routes are untouched by the plugin's parser and auth.
  res = await app.inject({ method: 'POST', url: '/other', payload: { a: 1 } });
  assert.deepEqual(res.json(), { body: { a: 1 } });
  await close();
});

test('bad uploads get a clear error and leave the knowledge base as it was', async () => {
  const { app, kb, close } = await start({ maxUploadBytes: 1024 });
  await app.inject({ method: 'POST', url: '/admin/kb/documents?name=a.md', headers: auth, payload: '# A\n\n已有内容。' });
  const cases: Array<[string, string | Buffer, number, string, RegExp]> = [
    ['/admin/kb/documents?name=bad.pdf', '%PDF-1.4 garbage', 422, 'kb_parse_failed', /bad\.pdf」不是有效的 PDF/],
    ['/admin/kb/documents?name=empty.txt', '', 422, 'kb_empty_document', /是空的/],
    ['/admin/kb/documents?name=a.md', '', 422, 'kb_empty_document', /是空的/],
    ['/admin/kb/documents?name=x.exe', 'MZ', 415, 'kb_unsupported_type', /不支持的文件类型/],
    ['/admin/kb/documents', '# 无名\n\n内容', 400, 'kb_bad_request', /缺少文件名/],
    ['/admin/kb/documents?name=big.md', Buffer.alloc(2048, 0x61), 413, 'kb_too_large', /超过上限/],
  ];
  for (const [url, payload, status, reason, message] of cases) {
    const res = await app.inject({ method: 'POST', url, headers: { ...auth, 'content-type': 'application/octet-stream' }, payload });
    assert.equal(res.statusCode, status, `${url}: ${res.body}`);
    assert.equal(res.json().data.reason, reason);
    assert.match(res.json().message, message);
  }
  assert.deepEqual((await kb.listDocuments()).map((d) => d.name), ['a.md']);
  assert.equal((await kb.search('已有内容'))[0]?.text, '已有内容。');
  await close();
});
