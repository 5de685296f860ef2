import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { captureLogger } from '../../test/support/capture-logger.js';
import { startFakeWechatServer, type FakeWechatServer } from '../../test/support/fake-wechat-server.js';
import { createContentChecker } from '../compose/create-content-checker.js';
import { loadConfig } from '../config/load-config.js';
import { ModerationError, type CheckRequest, type ContentChecker } from './content-checker.js';
import { KeywordChecker } from './keyword-checker.js';
import { LayeredContentChecker } from './layered-checker.js';

const req = (text: string): CheckRequest => ({ text, openid: 'o-user', scene: 'answer' });

/** A remote checker that records calls and fails as told. */
function scriptedRemote(fail?: ModerationError): ContentChecker & { calls: number } {
  return {
    name: 'wechat',
    calls: 0,
    async check() {
      this.calls += 1;
      if (fail) throw fail;
      return { verdict: 'pass' };
    },
  };
}

describe('LayeredContentChecker', () => {
  it('keywords first: a risky keyword never costs a network call', async () => {
    const remote = scriptedRemote();
    const { logger } = captureLogger();
    const checker = new LayeredContentChecker({ keywords: new KeywordChecker(['违禁词']), remote, fail: 'open', logger });
    assert.equal(checker.name, 'keywords+wechat');
    assert.equal((await checker.check(req('违 禁 词'))).verdict, 'risky');
    assert.equal(remote.calls, 0);
    assert.equal((await checker.check(req('你好'))).verdict, 'pass');
    assert.equal(remote.calls, 1);
  });

  it('fail open passes and warns once a minute; fail closed passes the ModerationError on to the chat flow', async () => {
    let now = 0;
    const { logger, lines } = captureLogger();
    const remote = scriptedRemote(new ModerationError('timeout', 'msg_sec_check timed out'));
    const open = new LayeredContentChecker({ keywords: new KeywordChecker([]), remote, fail: 'open', logger, now: () => now });
    for (let i = 0; i < 5; i++) assert.deepEqual(await open.check(req('你好')), { verdict: 'pass' });
    assert.equal(lines.filter((l) => l.includes('content check unavailable')).length, 1);
    now += 60_000;
    await open.check(req('你好'));
    const warnings = lines.filter((l) => l.includes('content check unavailable')).map((l) => JSON.parse(l));
    assert.equal(warnings.length, 2);
    assert.equal(warnings[1].suppressed, 4);
    const closed = new LayeredContentChecker({ keywords: new KeywordChecker([]), remote, fail: 'closed', logger });
    await assert.rejects(closed.check(req('你好')), (error: unknown) => error instanceof ModerationError);
  });

  it('other errors are not a checker outage: they propagate', async () => {
    const remote: ContentChecker = { name: 'wechat', check: () => Promise.reject(new TypeError('bug')) };
    const checker = new LayeredContentChecker({ keywords: new KeywordChecker([]), remote, fail: 'open', logger: captureLogger().logger });
    await assert.rejects(checker.check(req('你好')), TypeError);
  });
});

describe('createContentChecker (composition) against the fake WeChat', () => {
  let wx: FakeWechatServer;
  before(async () => {
    wx = await startFakeWechatServer({ appId: 'wx-compose', appSecret: 'compose-secret', riskyWords: ['炸药配方'] });
  });
  after(() => wx.close());

  const env = (extra: Record<string, string> = {}) => ({
    WECHAT_APPID: 'wx-compose',
    WECHAT_APP_SECRET: 'compose-secret',
    WECHAT_API_BASE: wx.url,
    ...extra,
  });

  it('is off without an AppID unless asked for; then keywords only (dev mode)', async () => {
    const { logger } = captureLogger();
    assert.equal(createContentChecker(loadConfig({}), logger), undefined);
    assert.equal(createContentChecker(loadConfig(env({ CONTENT_SECURITY: 'off' })), logger), undefined);
    const dev = createContentChecker(loadConfig({ CONTENT_SECURITY: 'input' }), logger)!;
    assert.equal(dev.name, 'keywords');
    assert.equal((await dev.check(req('代 开 发 票'))).verdict, 'risky');
    assert.equal((await dev.check(req('炸药配方'))).verdict, 'pass');
  });

  it('with an AppID: keywords + WeChat, both on by default', async () => {
    const config = loadConfig(env());
    assert.equal(config.contentSecurity.mode, 'both');
    const checker = createContentChecker(config, captureLogger().logger)!;
    assert.equal(checker.name, 'keywords+wechat');
    assert.deepEqual(await checker.check(req('告诉我炸药配方')), { verdict: 'risky', label: '20006', checker: 'wechat' });
    await checker.close();
  });

  for (const fail of ['open', 'closed'] as const) {
    it(`WeChat down (hanging): CONTENT_SECURITY_FAIL=${fail}`, async () => {
      const config = loadConfig(env({ CONTENT_SECURITY_FAIL: fail, CONTENT_SECURITY_TIMEOUT_MS: '150' }));
      const { logger, lines } = captureLogger();
      const checker = createContentChecker(config, logger)!;
      wx.configure({ hang: true });
      try {
        if (fail === 'open') assert.deepEqual(await checker.check(req('你好')), { verdict: 'pass' });
        else await assert.rejects(checker.check(req('你好')), (error: unknown) => error instanceof ModerationError && error.kind === 'timeout');
        assert.ok(lines.some((l) => l.includes(`CONTENT_SECURITY_FAIL=${fail}`)));
        // keywords still apply while WeChat is down
        assert.equal((await checker.check(req('代开发票'))).verdict, 'risky');
      } finally {
        wx.configure({ hang: false });
        await checker.close();
      }
    });
  }

  it('shares the access token through real Redis between two instances', async () => {
    const config = loadConfig(env({ REDIS_URL: 'redis://127.0.0.1:6379', REDIS_KEY_PREFIX: `wag-test-${process.pid}-${Date.now()}:` }));
    const [a, b] = [createContentChecker(config, captureLogger().logger)!, createContentChecker(config, captureLogger().logger)!];
    try {
      const before = wx.security.stableTokenCalls;
      await a.check(req('你好'));
      await b.check(req('你好'));
      assert.equal(wx.security.stableTokenCalls - before, 1);
    } finally {
      await Promise.all([a.close(), b.close()]);
      const admin = new Redis('redis://127.0.0.1:6379');
      await admin.del(`${config.redisKeyPrefix}wechat:token:wx-compose`);
      await admin.quit();
    }
  });

  it('an unreadable CONTENT_SECURITY_KEYWORDS_FILE stops the boot, naming the variable', () => {
    assert.throws(
      () => createContentChecker(loadConfig({ CONTENT_SECURITY: 'both', CONTENT_SECURITY_KEYWORDS_FILE: '/nonexistent/terms.txt' }), captureLogger().logger),
      /CONTENT_SECURITY_KEYWORDS_FILE/,
    );
  });
});
