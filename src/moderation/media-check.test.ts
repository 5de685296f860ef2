import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { captureLogger } from '../../test/support/capture-logger.js';
import { startFakeWechatServer, type FakeWechatServer } from '../../test/support/fake-wechat-server.js';
import { openSqlite } from '../store/sqlite/open-sqlite.js';
import type { StoredMessage } from '../store/history-store.js';
import { AccessTokenProvider } from '../wechat/access-token.js';
import { MemoryTokenCache } from '../wechat/memory-token-cache.js';
import { MediaCheck } from './media-check.js';
import { SqliteMediaCheckStore } from './sqlite-media-check-store.js';
import { WechatMediaChecker } from './wechat-media-checker.js';

describe('MediaCheck with the WeChat submitter (fake WeChat on loopback, real SQLite)', () => {
  let wx: FakeWechatServer;
  let dir: string;
  let store: SqliteMediaCheckStore;
  const deleted: string[] = [];
  const { logger, lines } = captureLogger();
  let checker: WechatMediaChecker;
  let check: MediaCheck;
  let failNext = false;

  before(async () => {
    wx = await startFakeWechatServer();
    dir = mkdtempSync(join(tmpdir(), 'wag-mcheck-unit-'));
    store = new SqliteMediaCheckStore(openSqlite(join(dir, 'gateway.sqlite')), { ownsDb: true });
    const tokens = new AccessTokenProvider({ appId: wx.appId, appSecret: wx.appSecret, apiBase: wx.url, timeoutMs: 2_000, cache: new MemoryTokenCache(), logger });
    checker = new WechatMediaChecker({ tokens, apiBase: wx.url, timeoutMs: 2_000 });
    check = new MediaCheck({
      store,
      submit: (url, openid) => (failNext ? ((failNext = false), Promise.reject(new Error('media_check_async errcode 45009'))) : checker.submit(url, openid)),
      signer: { sign: (id) => ({ token: `tok-${id}`, expiresAt: 0 }) },
      deleteUpload: async (id) => void deleted.push(id),
      publicBaseUrl: 'https://gw.example.com',
      logger,
    });
  });
  after(async () => {
    await wx.security.mediaChecksSettled();
    await check.close();
    await wx.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('submits each upload once with the signed URL; a rejected token is refetched once', async () => {
    await checker.submit('https://gw.example.com/warmup', 'o-warm'); // a token exists…
    wx.security.expireToken(); // …and is now rejected: the submitter fetches a new one
    const before = wx.security.mediaChecks.length;
    await check.imagesAsked('o1', 'answer-1', ['up-a', 'up-b', 'up-a']);
    await check.imagesAsked('o1', 'answer-2', ['up-a']);
    const sent = wx.security.mediaChecks.slice(before);
    assert.deepEqual(sent.map((c) => c.media_url), ['https://gw.example.com/wechat/media/up-a?t=tok-up-a', 'https://gw.example.com/wechat/media/up-b?t=tok-up-b']);
    assert.deepEqual(sent.map((c) => [c.openid, c.media_type, c.scene]), [['o1', 2, 2], ['o1', 2, 2]]);
    assert.equal((await store.find(sent[0]!.trace_id))?.answerId, 'answer-1');
    assert.ok(!lines.some((line) => line.includes('tok-up-a')), 'the URL token is never logged');
  });

  it('a failed submission is logged, never thrown; that image stays unchecked', async () => {
    failNext = true;
    await check.imagesAsked('o1', 'answer-3', ['up-c']);
    assert.ok(lines.some((line) => line.includes('up-c') && line.includes('could not be submitted')));
  });

  it('risky deletes the upload and flags question and answer; review only records; replays and unknown traces do nothing', async () => {
    await check.imagesAsked('o2', 'answer-9', ['up-r', 'up-v']);
    const [risky, review] = wx.security.mediaChecks.slice(-2).map((c) => c.trace_id) as [string, string];
    assert.equal(await check.verdict({ traceId: 'nope', suggest: 'risky', label: '1' }), 'unknown');
    assert.equal(await check.verdict({ traceId: review, suggest: 'review', label: '21000' }), 'recorded');
    assert.deepEqual(deleted, []);
    assert.equal(await check.verdict({ traceId: risky, suggest: 'risky', label: '20002' }), 'recorded');
    assert.equal(await check.verdict({ traceId: risky, suggest: 'risky', label: '20002' }), 'replayed');
    assert.deepEqual(deleted, ['up-r']);
    const msg = (id: string, role: 'user' | 'assistant'): StoredMessage => ({ id, role, content: 'x', status: 'complete', createdAt: 1 });
    const flagged = await check.withFlags('o2', [msg('answer-8', 'assistant'), msg('answer-9:q', 'user'), msg('answer-9', 'assistant')]);
    assert.deepEqual(flagged.map((m) => m.flagged?.label ?? null), [null, 'image:20002', 'image:20002']);
    assert.deepEqual((await check.withFlags('o-other', [msg('answer-9', 'assistant')]))[0]!.flagged, undefined, 'flags are per user');
  });
});
