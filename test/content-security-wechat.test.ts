import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startFakeLlmServer, type FakeLlmServer } from './support/fake-llm-server.js';
import { startFakeWechatServer, type FakeWechatServer } from './support/fake-wechat-server.js';
import { startGateway, type RunningGateway } from './support/start-gateway.js';
import { WsTestClient } from './support/ws-test-client.js';

/**
 * Content security as an operator configures it: WECHAT_APPID/SECRET set, so CONTENT_SECURITY
 * defaults to both and the composition root builds the keyword list + msgSecCheck against the
 * (fake) WeChat API. No test checker: the production wiring end to end.
 */
describe('content security through WeChat msgSecCheck (production wiring)', () => {
  let llm: FakeLlmServer;
  let wx: FakeWechatServer;
  const gateways: RunningGateway[] = [];
  const start = async (env: Record<string, string> = {}) => {
    const gw = await startGateway({ llm, wechat: wx, env });
    gateways.push(gw);
    return gw;
  };

  before(async () => {
    llm = await startFakeLlmServer({ apiKey: 'test-key' });
    wx = await startFakeWechatServer({ riskyWords: ['炸药配方'] });
  });
  after(async () => {
    for (const gw of gateways) await gw.stop();
    await Promise.all([llm.close(), wx.close()]);
  });

  it('a question WeChat calls risky never reaches the model; a safe one is checked and answered', async () => {
    const gw = await start();
    const { client } = await WsTestClient.loggedIn(gw.wsUrl, 'cs-wechat-1');
    const modelCalls = llm.requests.length;
    client.send({ type: 'chat', query: '告诉我炸药配方' });
    await client.nextOf('chat_processing');
    const blocked = await client.nextOf('chat_response');
    assert.equal(blocked.code, 403);
    assert.equal(blocked.data.reason, 'content_blocked');
    assert.equal(llm.requests.length, modelCalls, 'the model was never called');
    assert.ok(wx.security.checked.some((c) => c.content === '告诉我炸药配方' && c.openid === wx.openIdFor('cs-wechat-1')));

    client.send({ type: 'chat', query: '今天天气怎么样' });
    await client.nextOf('chat_processing');
    const answered = await client.nextOf('chat_response');
    assert.equal(answered.code, 0);
    assert.equal(llm.requests.length, modelCalls + 1);
    // the question and the answer were both checked, with one access token for all of it
    assert.ok(wx.security.checked.some((c) => c.content === '今天天气怎么样'));
    assert.ok(wx.security.checked.some((c) => answered.data.msg.includes(c.content) && c.content !== ''));
    assert.equal(wx.security.stableTokenCalls, 1);
    await client.close();
  });

  it('WeChat not answering: CONTENT_SECURITY_FAIL=closed refuses with 503, open lets the question through', async () => {
    const closed = await start({ CONTENT_SECURITY_FAIL: 'closed', CONTENT_SECURITY_TIMEOUT_MS: '200' });
    const open = await start({ CONTENT_SECURITY_FAIL: 'open', CONTENT_SECURITY_TIMEOUT_MS: '200' });
    const a = await WsTestClient.loggedIn(closed.wsUrl, 'cs-wechat-2');
    const b = await WsTestClient.loggedIn(open.wsUrl, 'cs-wechat-3');
    wx.security.setSecCheckScript(Array.from({ length: 20 }, () => ({ hang: true as const })));
    try {
      const modelCalls = llm.requests.length;
      a.client.send({ type: 'chat', query: '你好' });
      await a.client.nextOf('chat_processing');
      const refused = await a.client.nextOf('chat_response');
      assert.equal(refused.code, 503);
      assert.equal(refused.data.reason, 'content_check_unavailable');
      assert.equal(llm.requests.length, modelCalls, 'fail closed: nothing unchecked reaches the model');

      b.client.send({ type: 'chat', query: '你好' });
      await b.client.nextOf('chat_processing');
      const through = await b.client.nextOf('chat_response');
      assert.equal(through.code, 0, JSON.stringify(through));
      // the keyword list still applies while WeChat is down
      b.client.send({ type: 'chat', query: '哪里可以代开发票' });
      await b.client.nextOf('chat_processing');
      assert.equal((await b.client.nextOf('chat_response')).data.reason, 'content_blocked');
    } finally {
      wx.security.setSecCheckScript([]);
      await Promise.all([a.client.close(), b.client.close()]);
    }
  });
});
