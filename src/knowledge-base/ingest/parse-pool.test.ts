import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KbError } from '../kb-error.js';
import { DEFAULT_CHUNK_OPTIONS } from './chunk-text.js';
import { createParsePool } from './parse-pool.js';
import { sha256 } from './prepare-document.js';

const request = (name: string, data: Buffer) => ({ name, source: name, data, hash: sha256(data), chunking: DEFAULT_CHUNK_OPTIONS });

/** A page as exported from a CMS: a little text in a lot of markup, scripts and styles. */
function largeHtml(sections: number): Buffer {
  const chrome = `<script>${'var x = 1;'.repeat(200)}</script><style>${'.a{color:red}'.repeat(100)}</style><nav>${'<a href="#">菜单</a>'.repeat(50)}</nav>`;
  const body = Array.from(
    { length: sections },
    (_, i) => `<div class="s"><h2>第${i}节</h2>${chrome}<p>第${i}节的说明：<span>服务器域名</span>需要在开发设置中配置。</p></div>`,
  ).join('');
  return Buffer.from(`<html><head><title>大文档</title></head><body>${body}</body></html>`);
}

const isParseFailed = (pattern: RegExp) => (e: unknown) => {
  assert.ok(KbError.is(e), String(e));
  assert.equal(e.kind, 'parse_failed');
  assert.match(e.message, pattern);
  return true;
};

test('a large HTML document parses in a worker while the event loop keeps ticking', async () => {
  const pool = createParsePool();
  const data = largeHtml(2_000);
  assert.ok(data.length > 8 * 1024 * 1024);
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 1);
  try {
    const { doc, chunks } = await pool.prepare(request('big.html', data));
    assert.ok(ticks > 0, 'timers ran while the document was parsed');
    assert.equal(doc.title, '大文档');
    assert.equal(chunks.length, 2_000);
    assert.deepEqual(chunks[1_999]?.headingPath, ['第1999节']);
  } finally {
    clearInterval(ticker);
    await pool.close();
  }
});

test('a corrupt PDF fails in the worker with its Chinese parse_failed message', async () => {
  const pool = createParsePool();
  try {
    await assert.rejects(pool.prepare(request('manual.pdf', Buffer.from('%PDF-1.4\nnot really'))), isParseFailed(/「manual\.pdf」不是有效的 PDF 文件：Invalid PDF structure/));
    await assert.rejects(pool.prepare(request('blank.html', Buffer.from('<p> </p>'))), (e: unknown) => KbError.is(e) && e.kind === 'empty_document');
  } finally {
    await pool.close();
  }
});

const faultyWorker = new URL('../../../test/support/faulty-parse-worker.ts', import.meta.url);

test('a worker that crashes fails only its document; the next one gets a new worker', async () => {
  const pool = createParsePool({ workerEntry: faultyWorker });
  try {
    await assert.rejects(pool.prepare(request('crash-manual.pdf', Buffer.from('%PDF-1.4\n'))), isParseFailed(/「crash-manual\.pdf」解析失败：解析线程异常退出（退出码 70）/));
    const { chunks } = await pool.prepare(request('small.html', Buffer.from('<h1>标题</h1><p>正文。</p>')));
    assert.equal(chunks.length, 1);
  } finally {
    await pool.close();
  }
});

test('a worker that hangs is terminated at the time limit and its document fails with parse_failed', async () => {
  const pool = createParsePool({ workerEntry: faultyWorker, timeoutMs: 300 });
  try {
    await assert.rejects(pool.prepare(request('hang-manual.pdf', Buffer.from('%PDF-1.4\n'))), isParseFailed(/「hang-manual\.pdf」解析超时/));
  } finally {
    await pool.close();
  }
});

test('light formats parse inline, and a closed pool refuses heavy ones', async () => {
  const pool = createParsePool();
  await pool.close();
  const { chunks } = await pool.prepare(request('faq.md', Buffer.from('# 常见问题\n\n内容。')));
  assert.equal(chunks.length, 1);
  await assert.rejects(pool.prepare(request('page.html', Buffer.from('<p>内容</p>'))), isParseFailed(/知识库已关闭/));
});
