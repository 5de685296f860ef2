import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeLlmServer, type FakeLlmServer } from './support/fake-llm-server.js';
import { startFakeWechatServer, type FakeWechatServer } from './support/fake-wechat-server.js';
import { startGateway, type RunningGateway } from './support/start-gateway.js';
import { WsTestClient, type Frame } from './support/ws-test-client.js';

/** distinctive, so a leak anywhere is found by a plain substring search */
const MODEL_KEY = 'sk-probe-model-key-7f3a9c2e';

describe('WeChat login through code2session (fake api.weixin.qq.com on loopback)', () => {
  let wechat: FakeWechatServer;
  let llm: FakeLlmServer;
  let gw: RunningGateway;

  before(async () => {
    wechat = await startFakeWechatServer({ withUnionId: true, invalidCodes: ['expired_code'] });
    llm = await startFakeLlmServer({ apiKey: MODEL_KEY });
    gw = await startGateway({ wechat, llm, env: { WECHAT_TIMEOUT_MS: '300', LLM_API_KEY: MODEL_KEY, LLM_MAX_RETRIES: '0' } });
  });
  after(async () => {
    await gw.stop();
    await wechat.close();
    await llm.close();
  });

  async function login(code: string): Promise<Frame> {
    const client = await WsTestClient.connect(gw.wsUrl);
    await client.nextOf('connected');
    client.send({ type: 'login', code });
    const response = await client.nextOf('login_response');
    await client.close();
    return response;
  }

  it('returns openid, unionid and session_id; the same code is exchanged once even when sent twice', async () => {
    const code = 'good_code_1';
    const [a, b] = await Promise.all([login(code), login(code)]);
    for (const response of [a, b]) {
      assert.equal(response.code, 0);
      assert.equal(response.data.openid, wechat.openIdFor(code));
      assert.equal(response.data.unionid, wechat.unionIdFor(code));
    }
    assert.notEqual(a.data.session_id, b.data.session_id, 'each login gets its own session');
    assert.equal(wechat.calls.byCode.get(code), 1, 'concurrent exchanges of one code collapsed');
    const again = await login(code);
    assert.equal(again.code, 0, 'a retried login within the code lifetime does not hit 40163');
    assert.equal(wechat.calls.byCode.get(code), 1);
  });

  const failures: Array<[string, number | { hang: true }, number, string]> = [
    ['invalid code', 40029, 401, 'wechat_code_invalid'],
    ['code already used', 40163, 401, 'wechat_code_used'],
    ['minute quota', 45011, 429, 'login_rate_limited'],
    ['risky user blocked', 40226, 403, 'wechat_user_blocked'],
    ['bad appsecret', 40125, 500, 'wechat_config_error'],
    ['bad appid', 40013, 500, 'wechat_config_error'],
    ['unknown errcode', 99999, 502, 'wechat_error'],
    ['WeChat never answers', { hang: true }, 504, 'wechat_timeout'],
  ];
  for (const [name, step, code, reason] of failures) {
    it(`maps "${name}" to login_response ${code} ${reason} with a Chinese message`, async () => {
      const wxCode = `fail_${reason}_${code}_${name.length}`;
      wechat.setScript(wxCode, [step]);
      const response = await login(wxCode);
      assert.equal(response.type, 'login_response');
      assert.equal(response.code, code);
      assert.equal(response.data.reason, reason);
      assert.match(response.message, /[\u4e00-\u9fff]/);
      assert.equal(response.data.openid, undefined);
    });
  }

  it('an expired code from WeChat itself (40029) is refused', async () => {
    const response = await login('expired_code');
    assert.equal(response.data.reason, 'wechat_code_invalid');
  });

  it('retries once on -1 (system busy), then succeeds', async () => {
    wechat.setScript('busy_once', [-1]);
    const response = await login('busy_once');
    assert.equal(response.code, 0);
    assert.equal(wechat.calls.byCode.get('busy_once'), 2);
    wechat.setScript('busy_twice', [-1, -1]);
    const failed = await login('busy_twice');
    assert.equal(failed.code, 503);
    assert.equal(failed.data.reason, 'wechat_busy');
    assert.equal(wechat.calls.byCode.get('busy_twice'), 2, 'exactly one retry');
  });

  it('session_key, the app secret, access tokens and the model key never reach a frame, an HTTP body or a log line', async () => {
    const code = 'secret_probe';
    const { client, login: response } = await WsTestClient.loggedIn(gw.wsUrl, code);
    client.send({ type: 'chat', query: '你好', stream: true });
    await client.nextOf('chat_response');
    // content checks (on by default with an AppID): a blocked question, then an expired token refetched
    wechat.security.configure({ riskyWords: ['炸药配方'] });
    client.send({ type: 'chat', query: '炸药配方是什么' });
    assert.equal((await client.nextOf('chat_response')).data.reason, 'content_blocked');
    wechat.security.expireToken();
    client.send({ type: 'chat', query: '再问一次', stream: true });
    assert.equal((await client.nextOf('chat_response')).code, 0);
    assert.ok(wechat.security.issuedTokens.length >= 2, 'the expired access token was replaced');
    client.send({ type: 'history' });
    await client.nextOf('history_response');
    // model errors whose vendor text echoes the key (as OpenAI's 401 "Incorrect API key provided: sk-…" does)
    for (const status of [401, 500, 400]) {
      llm.pushFault({ status, message: `Incorrect API key provided: ${MODEL_KEY}` });
      client.send({ type: 'chat', query: '出错吧' });
      assert.notEqual((await client.nextOf('chat_response')).code, 0);
    }
    // a WeChat error, and a code that WeChat refuses
    client.send({ type: 'login', code: 'expired_code' });
    assert.equal((await client.nextOf('login_response')).data.reason, 'wechat_code_invalid');
    await client.close();
    const httpFailed = await fetch(`${gw.url}/wechat/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: 'expired_code' }),
    });
    const httpFailedBody = await httpFailed.text();
    const httpLogin = await fetch(`${gw.url}/wechat/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: 'secret_probe_http' }),
    });
    const httpBody = await httpLogin.text();
    const httpSessionId = JSON.parse(httpBody).data.session_id as string;
    const httpChat = await fetch(`${gw.url}/wechat/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${httpSessionId}` },
      body: JSON.stringify({ query: '你好', stream: true }),
    });
    const httpStream = await httpChat.text();
    const httpStored = await gw.stores.sessions.get(httpSessionId);
    assert.ok(httpStored?.sessionKey);
    llm.pushFault({ status: 401, message: `Incorrect API key provided: ${MODEL_KEY}` });
    const httpModelError = await (
      await fetch(`${gw.url}/wechat/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${httpSessionId}` },
        body: JSON.stringify({ query: '出错吧' }),
      })
    ).text();
    const httpBodies = [httpBody, httpStream, httpFailedBody, httpModelError];
    for (const body of httpBodies) assert.equal(body.includes(httpStored.sessionKey), false, 'session_key in an HTTP body');
    const stored = await gw.stores.sessions.get(response.data.session_id);
    assert.ok(stored?.sessionKey, 'the server does keep the session_key');
    const everything = [...client.raw, ...httpBodies, ...gw.logs].join('\n');
    assert.ok(gw.logs.length > 5, 'the log was captured');
    assert.equal(everything.includes(stored.sessionKey), false, 'session_key leaked');
    assert.equal(everything.includes(wechat.appSecret), false, 'app secret leaked');
    assert.ok(everything.includes('出错') || everything.includes('model_error'), 'the model errors happened');
    assert.equal(everything.includes(MODEL_KEY), false, 'LLM API key leaked');
    for (const token of wechat.security.issuedTokens) assert.equal(everything.includes(token), false, 'access_token leaked');
    assert.equal(everything.includes(wechat.appSecret), false, 'app secret leaked');
    assert.equal(gw.logs.join('\n').includes(response.data.session_id), false, 'session_id (a credential) logged');
    assert.equal(gw.logs.join('\n').includes(httpStored.sessionKey), false, 'session_key logged (HTTP path)');
    assert.equal(gw.logs.join('\n').includes(httpSessionId), false, 'session_id logged (HTTP path)');
  });
});
