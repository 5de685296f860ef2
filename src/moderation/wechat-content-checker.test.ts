import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { captureLogger } from '../../test/support/capture-logger.js';
import { startFakeWechatServer, type FakeWechatServer } from '../../test/support/fake-wechat-server.js';
import { AccessTokenProvider } from '../wechat/access-token.js';
import { MemoryTokenCache } from '../wechat/memory-token-cache.js';
import { ModerationError, type CheckRequest } from './content-checker.js';
import { KeywordChecker } from './keyword-checker.js';
import { WechatContentChecker, type WechatContentCheckerOptions } from './wechat-content-checker.js';

const SECRET = 'sec-check-secret-42';

describe('WechatContentChecker (msgSecCheck v2 against the fake WeChat)', () => {
  let wx: FakeWechatServer;
  before(async () => {
    wx = await startFakeWechatServer({
      appId: 'wx-sec',
      appSecret: SECRET,
      riskyWords: ['炸药配方'],
      reviewWords: ['擦边'],
      inactiveOpenIds: ['o-inactive'],
    });
  });
  after(() => wx.close());
  beforeEach(() => wx.security.setSecCheckScript([]));

  const make = (options: Partial<WechatContentCheckerOptions> = {}) => {
    const { logger, lines } = captureLogger();
    const tokens = new AccessTokenProvider({
      appId: 'wx-sec',
      appSecret: SECRET,
      apiBase: wx.url,
      timeoutMs: 2_000,
      cache: new MemoryTokenCache(),
      logger,
    });
    const checker = new WechatContentChecker({ tokens, apiBase: wx.url, timeoutMs: 2_000, logger, ...options });
    return { checker, lines, tokens };
  };
  const req = (text: string, extra: Partial<CheckRequest> = {}): CheckRequest => ({ text, openid: 'o-user', scene: 'question', ...extra });
  const rejection = (promise: Promise<unknown>) =>
    promise.then(
      () => assert.fail('expected a rejection'),
      (e: unknown) => e,
    );

  it('decides on result.suggest: pass, risky (label), review as risky by default', async () => {
    const { checker } = make();
    assert.deepEqual(await checker.check(req('今天天气怎么样')), { verdict: 'pass' });
    assert.deepEqual(await checker.check(req('告诉我炸药配方')), { verdict: 'risky', label: '20006', checker: 'wechat' });
    assert.deepEqual(await checker.check(req('一些擦边内容')), { verdict: 'risky', label: 'review:21000', checker: 'wechat' });
    assert.deepEqual(await make({ reviewIsRisky: false }).checker.check(req('一些擦边内容')), { verdict: 'pass' });
    const sent = wx.security.checked.at(-1)!;
    assert.deepEqual(sent, { content: '一些擦边内容', scene: 2, openid: 'o-user' });
  });

  it('N concurrent checks share one stable_token call', async () => {
    const { checker } = make();
    const before = wx.security.stableTokenCalls;
    const verdicts = await Promise.all(Array.from({ length: 25 }, (_, i) => checker.check(req(`问题 ${i}`))));
    assert.ok(verdicts.every((v) => v.verdict === 'pass'));
    assert.equal(wx.security.stableTokenCalls - before, 1);
  });

  for (const [how, errcode] of [['expired (42001)', 'expireToken'], ['invalidated (40001)', 'invalidateToken']] as const) {
    it(`a token ${how} is refetched once, then the check succeeds`, async () => {
      const { checker } = make();
      await checker.check(req('热身'));
      const before = { token: wx.security.stableTokenCalls, check: wx.security.secCheckCalls };
      wx.security[errcode]();
      assert.deepEqual(await checker.check(req('炸药配方')), { verdict: 'risky', label: '20006', checker: 'wechat' });
      assert.equal(wx.security.stableTokenCalls - before.token, 1);
      assert.equal(wx.security.secCheckCalls - before.check, 2);
    });
  }

  it('a token rejected twice in a row is unavailable, not a loop', async () => {
    const { checker } = make();
    wx.security.setSecCheckScript([42001, 42001, 42001]);
    const error = await rejection(checker.check(req('你好')));
    assert.ok(error instanceof ModerationError && error.kind === 'unavailable');
    wx.security.setSecCheckScript([]);
  });

  it('45009 (quota) → rate_limited; an unknown errcode → unavailable', async () => {
    const { checker } = make();
    wx.security.setSecCheckScript([45009, 47001]);
    const quota = await rejection(checker.check(req('你好')));
    assert.ok(quota instanceof ModerationError && quota.kind === 'rate_limited');
    const other = await rejection(checker.check(req('你好')));
    assert.ok(other instanceof ModerationError && other.kind === 'unavailable');
  });

  it('61010 (user not active in 2 h): the fallback checker decides, else unavailable', async () => {
    const withFallback = make({ onUserInactive: new KeywordChecker(['违禁词']) }).checker;
    assert.deepEqual(await withFallback.check(req('你好', { openid: 'o-inactive' })), { verdict: 'pass' });
    assert.equal((await withFallback.check(req('违禁词', { openid: 'o-inactive' }))).verdict, 'risky');
    const error = await rejection(make().checker.check(req('你好', { openid: 'o-inactive' })));
    assert.ok(error instanceof ModerationError && error.kind === 'unavailable');
  });

  it('WeChat hanging → timeout within the deadline; the caller\'s abort passes through as is', async () => {
    const { checker } = make({ timeoutMs: 150 });
    await checker.check(req('热身'));
    wx.security.setSecCheckScript([{ hang: true }]);
    const error = await rejection(checker.check(req('你好')));
    assert.ok(error instanceof ModerationError && error.kind === 'timeout');
    wx.security.setSecCheckScript([{ hang: true }]);
    const controller = new AbortController();
    const pending = rejection(make().checker.check(req('你好', { signal: controller.signal })));
    controller.abort();
    assert.equal((await pending as Error).name, 'AbortError');
  });

  it('splits text over 2,500 characters; a risky word in any piece makes it risky', async () => {
    const { checker } = make();
    const before = wx.security.secCheckCalls;
    const long = '正常的句子。'.repeat(600) + '炸药配方';
    assert.equal((await checker.check(req(long, { scene: 'answer' }))).verdict, 'risky');
    assert.equal(wx.security.secCheckCalls - before, 2);
    assert.ok(wx.security.checked.slice(-2).every((c) => c.content.length <= 2500));
    assert.equal(await checker.check(req('   ')).then((v) => v.verdict), 'pass');
  });

  it('never puts the secret or the access token in a log line or an error', async () => {
    const { checker, lines, tokens } = make({ timeoutMs: 300 });
    const token = await tokens.get();
    wx.security.setSecCheckScript([40001, 45009, -1, { hang: true }]);
    const errors = await Promise.allSettled([checker.check(req('a')), checker.check(req('b')), make({ timeoutMs: 100 }).checker.check(req('c'))]);
    wx.security.expireToken();
    await checker.check(req('d'));
    const seen = [...lines, ...errors.map((e) => (e.status === 'rejected' ? `${String(e.reason)} ${e.reason?.stack}` : ''))].join('\n');
    assert.ok(!seen.includes(SECRET));
    assert.ok(!seen.includes(token));
    assert.ok(!seen.includes((await tokens.get())));
  });
});
