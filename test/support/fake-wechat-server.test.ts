import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startFakeWechatServer, type FakeWechatServer } from './fake-wechat-server.js';

describe('fake WeChat server (code2Session)', () => {
  let wx: FakeWechatServer;
  before(async () => {
    wx = await startFakeWechatServer({ appId: 'wx-app', appSecret: 'sec', invalidCodes: ['expired'], withUnionId: true });
  });
  after(() => wx.close());

  const exchange = async (code: string, over: Record<string, string> = {}) => {
    const q = new URLSearchParams({ appid: 'wx-app', secret: 'sec', js_code: code, grant_type: 'authorization_code', ...over });
    const res = await fetch(`${wx.url}/sns/jscode2session?${q}`);
    assert.equal(res.status, 200);
    return JSON.parse(await res.text()) as Record<string, unknown>;
  };

  it('answers success without an errcode field, ids derived from the code', async () => {
    const body = await exchange('code-ok');
    assert.equal('errcode' in body, false);
    assert.equal(body.openid, wx.openIdFor('code-ok'));
    assert.equal(body.unionid, wx.unionIdFor('code-ok'));
    assert.match(String(body.openid), /^o[\w-]{27}$/);
    assert.equal(typeof body.session_key, 'string');
    assert.notEqual(wx.openIdFor('code-ok'), wx.openIdFor('code-other'));
  });

  it('codes are single-use: the second exchange gets 40163 with a rid', async () => {
    await exchange('code-once');
    const second = await exchange('code-once');
    assert.equal(second.errcode, 40163);
    assert.match(String(second.errmsg), /^code been used, rid: /);
    assert.equal(wx.calls.byCode.get('code-once'), 2);
  });

  it('rejects invalid codes and wrong credentials without burning the code', async () => {
    assert.equal((await exchange('expired')).errcode, 40029);
    assert.equal((await exchange('code-cred', { appid: 'wx-other' })).errcode, 40013);
    assert.equal((await exchange('code-cred', { secret: 'nope' })).errcode, 40125);
    assert.equal((await exchange('code-cred', { grant_type: 'client_credential' })).errcode, 40002);
    assert.equal((await exchange('')).errcode, 41008);
    assert.equal(typeof (await exchange('code-cred')).openid, 'string');
  });

  it('plays scripted errors in order, then behaves normally', async () => {
    wx.setScript('code-s', [-1, 45011, { errcode: 40226 }]);
    assert.equal((await exchange('code-s')).errcode, -1);
    assert.equal((await exchange('code-s')).errcode, 45011);
    assert.equal((await exchange('code-s')).errcode, 40226);
    assert.equal((await exchange('code-s')).openid, wx.openIdFor('code-s'));
    assert.equal(wx.calls.byCode.get('code-s'), 4);
  });

  it('scripts an HTTP-level failure', async () => {
    wx.setScript('code-502', [{ httpStatus: 502 }]);
    const res = await fetch(`${wx.url}/sns/jscode2session?appid=wx-app&secret=sec&js_code=code-502&grant_type=authorization_code`);
    assert.equal(res.status, 502);
    await res.text();
  });

  it('hangs when told to, until the client gives up', async () => {
    wx.setScript('code-hang', [{ hang: true }]);
    const q = 'appid=wx-app&secret=sec&js_code=code-hang&grant_type=authorization_code';
    await assert.rejects(fetch(`${wx.url}/sns/jscode2session?${q}`, { signal: AbortSignal.timeout(100) }), {
      name: 'TimeoutError',
    });
    assert.equal((await exchange('code-hang')).openid, wx.openIdFor('code-hang'));
  });

  it('adds latency', async () => {
    wx.configure({ latencyMs: 80 });
    const started = Date.now();
    await exchange('code-slow');
    assert.ok(Date.now() - started >= 70);
    wx.configure({ latencyMs: 0 });
  });
});

describe('fake WeChat server (stable_token, msg_sec_check v2)', () => {
  let wx: FakeWechatServer;
  before(async () => {
    wx = await startFakeWechatServer({ appId: 'wx-app', appSecret: 'sec', riskyWords: ['坏词'], reviewWords: ['灰词'], tokenExpiresIn: 7200 });
  });
  after(() => wx.close());

  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${wx.url}${path}`, { method: 'POST', body: JSON.stringify(body) });
    return JSON.parse(await res.text()) as Record<string, any>;
  };
  const token = (extra: Record<string, unknown> = {}) =>
    post('/cgi-bin/stable_token', { grant_type: 'client_credential', appid: 'wx-app', secret: 'sec', force_refresh: false, ...extra });
  const check = (accessToken: string, content: string, extra: Record<string, unknown> = {}) =>
    post(`/wxa/msg_sec_check?access_token=${accessToken}`, { content, version: 2, scene: 2, openid: 'o1', ...extra });

  it('stable_token: same token while valid, counted; wrong credentials get their errcodes', async () => {
    const before = wx.security.stableTokenCalls;
    const a = await token();
    const b = await token();
    assert.equal(a.access_token, b.access_token);
    assert.ok(a.expires_in > 7000 && a.expires_in <= 7200);
    assert.equal((await token({ secret: 'nope' })).errcode, 40125);
    assert.equal((await token({ appid: 'wx-x' })).errcode, 40013);
    assert.equal(wx.security.stableTokenCalls - before, 4);
    const forced = await token({ force_refresh: true });
    assert.notEqual(forced.access_token, a.access_token);
    assert.equal((await check(a.access_token, '你好')).errcode, 40001);
  });

  it('msg_sec_check: errcode 0 with result.suggest pass / review / risky, and a log of checked texts', async () => {
    const { access_token } = await token();
    const pass = await check(access_token, '你好');
    assert.deepEqual([pass.errcode, pass.result], [0, { suggest: 'pass', label: 100 }]);
    assert.deepEqual((await check(access_token, '有点灰词')).result, { suggest: 'review', label: 21000 });
    assert.deepEqual((await check(access_token, '一个坏词')).result, { suggest: 'risky', label: 20006 });
    assert.equal((await check(access_token, '一个坏词')).errcode, 0);
    assert.deepEqual(wx.security.checked.at(-1), { content: '一个坏词', scene: 2, openid: 'o1' });
    assert.equal((await check('', '你好')).errcode, 41001);
    assert.equal((await check(access_token, 'x'.repeat(2501))).errcode, 47001);
    assert.equal((await check(access_token, '你好', { scene: 9 })).errcode, 40129);
    assert.equal((await check(access_token, '你好', { version: 1 })).errcode, 47001);
  });

  it('expireToken → 42001 until a new stable_token; invalidateToken → 40001', async () => {
    const first = (await token()).access_token;
    wx.security.expireToken();
    assert.equal((await check(first, '你好')).errcode, 42001);
    const second = (await token()).access_token;
    assert.notEqual(second, first);
    assert.equal((await check(second, '你好')).errcode, 0);
    wx.security.invalidateToken();
    assert.equal((await check(second, '你好')).errcode, 40001);
    wx.security.configure({ tokenExpiresIn: 301 });
    assert.ok((await token()).expires_in <= 301);
    wx.security.configure({ tokenExpiresIn: 7200 });
  });

  it('scripts 45009, 61010, hang; inactive openids; per-check latency', async () => {
    const { access_token } = await token();
    wx.security.setSecCheckScript([45009, 61010, { hang: true }]);
    assert.equal((await check(access_token, '你好')).errcode, 45009);
    assert.equal((await check(access_token, '你好')).errcode, 61010);
    await assert.rejects(fetch(`${wx.url}/wxa/msg_sec_check?access_token=${access_token}`, {
      method: 'POST',
      body: '{}',
      signal: AbortSignal.timeout(100),
    }), { name: 'TimeoutError' });
    wx.security.configure({ inactiveOpenIds: ['o-gone'] });
    assert.equal((await check(access_token, '你好', { openid: 'o-gone' })).errcode, 61010);
    wx.configure({ secCheckLatencyMs: 80 });
    const started = Date.now();
    await check(access_token, '你好');
    assert.ok(Date.now() - started >= 70);
    wx.configure({ secCheckLatencyMs: 0 });
  });
});
