import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { captureLogger } from '../../test/support/capture-logger.js';
import { startFakeWechatServer, type FakeWechatServer } from '../../test/support/fake-wechat-server.js';
import { AccessTokenProvider } from './access-token.js';
import { MemoryTokenCache } from './memory-token-cache.js';
import { createRedisTokenCache } from './redis-token-cache.js';
import type { TokenCache } from './token-cache.js';
import { WechatError } from './wechat-error.js';

const SECRET = 'app-secret-never-logged-123';

describe('AccessTokenProvider (stable_token)', () => {
  let wx: FakeWechatServer;
  before(async () => {
    wx = await startFakeWechatServer({ appId: 'wx-tok', appSecret: SECRET });
  });
  after(() => wx.close());

  const provider = (cache: TokenCache = new MemoryTokenCache(), extra: { now?: () => number; appSecret?: string } = {}) => {
    const { logger, lines } = captureLogger();
    const tokens = new AccessTokenProvider({
      appId: 'wx-tok',
      appSecret: extra.appSecret ?? SECRET,
      apiBase: wx.url,
      timeoutMs: 2_000,
      cache,
      logger,
      now: extra.now,
    });
    return { tokens, lines };
  };

  it('fetches once for concurrent callers and caches the token', async () => {
    const before = wx.security.stableTokenCalls;
    const { tokens } = provider();
    const got = await Promise.all(Array.from({ length: 20 }, () => tokens.get()));
    assert.equal(new Set(got).size, 1);
    assert.equal(await tokens.get(), got[0]);
    assert.equal(wx.security.stableTokenCalls - before, 1);
  });

  it('stops using the token 300 s before expires_in, then fetches again', async () => {
    let now = 1_000_000;
    const { tokens } = provider(new MemoryTokenCache(() => now), { now: () => now });
    const before = wx.security.stableTokenCalls;
    await tokens.get();
    now += (7200 - 300) * 1000 - 1;
    await tokens.get();
    assert.equal(wx.security.stableTokenCalls - before, 1);
    now += 2;
    await tokens.get();
    assert.equal(wx.security.stableTokenCalls - before, 2);
  });

  it('invalidate() drops the token; the next get() fetches a new one', async () => {
    const { tokens } = provider();
    const first = await tokens.get();
    wx.security.expireToken();
    await tokens.invalidate(first);
    const second = await tokens.get();
    assert.notEqual(second, first);
  });

  it('is shared through real Redis: a second instance reads the first one\'s token', async () => {
    const prefix = `wag-test-${randomUUID()}:`;
    const caches = [0, 1].map(() => createRedisTokenCache({ url: 'redis://127.0.0.1:6379', prefix }));
    try {
      const before = wx.security.stableTokenCalls;
      const a = provider(caches[0]).tokens;
      const b = provider(caches[1]).tokens;
      const token = await a.get();
      assert.equal(await b.get(), token);
      assert.equal(wx.security.stableTokenCalls - before, 1);
      // one instance finds it bad: the other, asking the cache afresh, gets a new one
      wx.security.expireToken();
      await b.invalidate(token);
      const c = provider(caches[0]).tokens;
      assert.notEqual(await c.get(), token);
      assert.equal(wx.security.stableTokenCalls - before, 2);
    } finally {
      await Promise.all(caches.map(async (cache) => {
        await cache.delete('wx-tok', (await cache.get('wx-tok'))?.token ?? '');
        await cache.close();
      }));
    }
  });

  it('a wrong secret is a config WechatError; neither secret nor token reaches the error or the log', async () => {
    const { tokens, lines } = provider(new MemoryTokenCache(), { appSecret: 'wrong-secret-xyz' });
    const error = await tokens.get().then(
      () => assert.fail('expected a failure'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof WechatError && error.kind === 'config');
    const seen = `${String(error)} ${JSON.stringify(error)} ${lines.join('\n')}`;
    assert.doesNotMatch(seen, /wrong-secret-xyz|app-secret-never-logged/);
    assert.match(lines.join('\n'), /stable_token failed/);
    const ok = provider().tokens;
    const token = await ok.get();
    assert.ok(!lines.join('\n').includes(token));
  });
});
