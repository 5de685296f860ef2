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
