import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeLlmServer, type FakeLlmServer } from './support/fake-llm-server.js';
import { startGateway, type RunningGateway } from './support/start-gateway.js';

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as any };
}

describe('HTTP API (the seed\'s deprecated endpoints, kept working)', () => {
  let llm: FakeLlmServer;
  let gw: RunningGateway;

  before(async () => {
    llm = await startFakeLlmServer({ apiKey: 'test-key', deltaChars: 1 });
    gw = await startGateway({ llm, env: { CORS_ORIGINS: 'https://console.example.com' } });
  });
  after(async () => {
    await gw.stop();
    await llm.close();
  });

  it('GET /wechat/health has the seed fields plus each dependency', async () => {
    const response = await fetch(`${gw.url}/wechat/health`);
    assert.equal(response.status, 200);
    const body = (await response.json()) as any;
    assert.equal(body.code, 0);
    assert.equal(body.message, '服务正常');
    assert.ok(!Number.isNaN(Date.parse(body.timestamp)));
    assert.deepEqual(body.data.store, { driver: 'sqlite', ok: true });
    assert.equal(body.data.llm.mode, 'online');
    assert.equal(body.data.wechat.mode, 'dev');
    assert.equal(body.data.draining, false);
    assert.equal('reason' in body.data, false);
  });

  it('POST /wechat/login returns openid and a session_id that authenticates /wechat/chat', async () => {
    const login = await post(`${gw.url}/wechat/login`, { code: 'http_code' });
    assert.equal(login.status, 200);
    assert.equal(login.body.code, 0);
    assert.equal(login.body.message, '登录成功');
    const { openid, session_id } = login.body.data;
    assert.match(openid, /^dev_/);

    const viaHeader = await post(`${gw.url}/wechat/chat`, { query: '你好' }, { authorization: `Bearer ${session_id}` });
    assert.equal(viaHeader.status, 200);
    assert.deepEqual(viaHeader.body.code, 0);
    assert.equal(viaHeader.body.message, '成功');
    assert.equal(viaHeader.body.data.msg, '收到：你好');
    assert.equal(viaHeader.body.data.session_id, session_id);
    assert.ok(viaHeader.body.data.id);

    const viaBody = await post(`${gw.url}/wechat/chat`, { query: '再问', session_id });
    assert.equal(viaBody.body.data.msg, '收到：再问');
  });

  it('honours the seed\'s bare openid outside production', async () => {
    const response = await post(`${gw.url}/wechat/chat`, { query: '你好', openid: 'test_openid' });
    assert.equal(response.status, 200);
    assert.equal(response.body.data.msg, '收到：你好');
  });

  it('answers bad requests with the wire envelope and a clear reason', async () => {
    const malformed = await post(`${gw.url}/wechat/chat`, '{"query": ');
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.data.reason, 'bad_json');
    const missing = await post(`${gw.url}/wechat/chat`, { openid: 'x' });
    assert.equal(missing.status, 400);
    assert.match(missing.body.message, /query/);
    const anonymous = await post(`${gw.url}/wechat/chat`, { query: '你好' });
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.body.data.reason, 'not_logged_in');
    const expired = await post(`${gw.url}/wechat/chat`, { query: '你好' }, { authorization: 'Bearer nope' });
    assert.equal(expired.status, 401);
    assert.equal(expired.body.data.reason, 'session_expired');
    const tooLong = await post(`${gw.url}/wechat/chat`, { query: '字'.repeat(2001), openid: 'x' });
    assert.equal(tooLong.body.data.reason, 'query_too_long');
    const noCode = await post(`${gw.url}/wechat/login`, {});
    assert.equal(noCode.status, 400);
    assert.match(noCode.body.message, /code/);
  });

  it('validation messages are Chinese: missing code, bad field types', async () => {
    const noCode = await post(`${gw.url}/wechat/login`, {});
    assert.deepEqual(noCode.body, { code: 400, message: '字段 code 无效：缺少这个字段', data: { reason: 'bad_message' } });
    const notAnObject = await post(`${gw.url}/wechat/chat`, '"只是字符串"');
    assert.equal(notAnObject.body.message, '字段 body 无效：应为对象');
    const badStream = await post(`${gw.url}/wechat/chat`, { query: '你好', openid: 'x', stream: 'yes' });
    assert.equal(badStream.body.message, '字段 stream 无效：应为布尔值（true 或 false）');
    const badQuery = await post(`${gw.url}/wechat/chat`, { query: ['数组'], openid: 'x' });
    assert.equal(badQuery.body.message, '字段 query 无效：query 必须是字符串');
  });

  it('unknown routes, non-JSON bodies and oversized bodies answer the envelope with a catalogue reason', async () => {
    for (const [method, path] of [['GET', '/nope'], ['POST', '/wechat/nope'], ['DELETE', '/wechat/chat']]) {
      const response = await fetch(`${gw.url}${path}`, { method });
      assert.equal(response.status, 404, `${method} ${path}`);
      assert.deepEqual(await response.json(), { code: 404, message: '接口不存在，请检查地址和请求方法', data: { reason: 'not_found' } });
    }
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded']) {
      const response = await post(`${gw.url}/wechat/chat`, 'query=你好', { 'content-type': contentType });
      assert.equal(response.status, 415, contentType);
      assert.equal(response.body.code, 415);
      assert.equal(response.body.data.reason, 'unsupported_media_type');
      assert.match(response.body.message, /^不支持的请求格式/);
    }
    const huge = await post(`${gw.url}/wechat/chat`, { query: '大'.repeat(100_000), openid: 'x' });
    assert.deepEqual(huge, { ...huge, status: 413, body: { code: 413, message: '请求体过大', data: { reason: 'body_too_large' } } });
  });

  it('streams as text/event-stream with the WebSocket frames when stream: true', async () => {
    llm.setReply(() => '流式中文回答，一字一字地来。');
    try {
      const response = await fetch(`${gw.url}/wechat/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: 'https://console.example.com' },
        body: JSON.stringify({ query: '流', openid: 'sse_user', stream: true }),
      });
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type')!, /^text\/event-stream/);
      assert.equal(response.headers.get('access-control-allow-origin'), 'https://console.example.com');
      const text = await response.text();
      const frames = text
        .split('\n\n')
        .filter(Boolean)
        .map((event) => JSON.parse(event.replace(/^data: /, '')));
      assert.equal(frames[0].type, 'chat_processing');
      const final = frames.at(-1);
      assert.equal(final.type, 'chat_response');
      assert.equal(final.data.msg, '流式中文回答，一字一字地来。');
      const deltas = frames.filter((f) => f.type === 'chat_delta');
      assert.ok(deltas.length >= 1);
      assert.equal(deltas.map((f) => f.data.delta).join(''), final.data.msg);
    } finally {
      llm.setReply((body) => `收到：${body.messages.at(-1)?.content}`);
    }
  });

  it('a client that hangs up cancels its answer: the upstream request is aborted, the partial stored', async () => {
    llm.setReply(() => '很长的回答。'.repeat(100));
    const slow = await startFakeLlmServer({ apiKey: 'test-key', deltaLatencyMs: 20, reply: () => '很长的回答。'.repeat(100) });
    const gw2 = await startGateway({ llm: slow });
    try {
      const controller = new AbortController();
      const response = await fetch(`${gw2.url}/wechat/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '说个没完', openid: 'hangup_user', stream: true }),
        signal: controller.signal,
      });
      const reader = response.body!.getReader();
      let seen = '';
      while (!seen.includes('chat_delta')) seen += new TextDecoder().decode((await reader.read()).value);
      controller.abort();
      for (let i = 0; i < 100 && slow.abortedCount() === 0; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(slow.abortedCount(), 1, 'upstream aborted');
      let stored: Awaited<ReturnType<typeof gw2.stores.history.listRecent>> = [];
      for (let i = 0; i < 50 && stored.length < 2; i++) {
        stored = await gw2.stores.history.listRecent('hangup_user', 10);
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.deepEqual(stored.map((m) => [m.role, m.status]), [['user', 'complete'], ['assistant', 'cancelled']]);
    } finally {
      llm.setReply((body) => `收到：${body.messages.at(-1)?.content}`);
      await gw2.stop();
      await slow.close();
    }
  });

  it('a retry (same request_id) that hangs up leaves the answer to its first requester', async () => {
    const slow = await startFakeLlmServer({ apiKey: 'test-key', deltaLatencyMs: 20, reply: () => '慢慢说完。'.repeat(20) });
    const gw2 = await startGateway({ llm: slow });
    try {
      const body = JSON.stringify({ query: '重试也别打断', openid: 'retry_hangup', stream: true, request_id: 'r-1' });
      const open = (signal?: AbortSignal) => fetch(`${gw2.url}/wechat/chat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal });
      const first = open();
      const controller = new AbortController();
      const retry = await open(controller.signal);
      const reader = retry.body!.getReader();
      let seen = '';
      while (!seen.includes('chat_delta')) seen += new TextDecoder().decode((await reader.read()).value);
      controller.abort();
      const events = (await (await first).text()).split('\n\n').filter(Boolean).map((e) => JSON.parse(e.replace(/^data: /, '')));
      const done = events.at(-1);
      assert.equal(done.type, 'chat_response');
      assert.equal(done.data.status, 'complete', 'the retry hanging up did not cancel the answer');
      assert.equal(done.data.msg, '慢慢说完。'.repeat(20));
      assert.equal(slow.abortedCount(), 0, 'upstream never aborted');
      assert.equal(slow.requests.length, 1, 'one model call for both');
    } finally {
      await gw2.stop();
      await slow.close();
    }
  });

  it('records token usage with each answer', async () => {
    const chat = await post(`${gw.url}/wechat/chat`, { query: '用量', openid: 'usage_user' });
    const [, answer] = await gw.stores.history.listRecent('usage_user', 10);
    assert.equal(answer?.id, chat.body.data.id);
    assert.ok(answer?.usage && answer.usage.totalTokens > 0, JSON.stringify(answer));
    assert.equal(answer.usage.totalTokens, answer.usage.promptTokens + answer.usage.completionTokens);
  });

  it('CORS: allowed origin is echoed, others are not', async () => {
    const allowed = await fetch(`${gw.url}/wechat/health`, { headers: { origin: 'https://console.example.com' } });
    assert.equal(allowed.headers.get('access-control-allow-origin'), 'https://console.example.com');
    const other = await fetch(`${gw.url}/wechat/health`, { headers: { origin: 'https://evil.example.com' } });
    assert.equal(other.headers.get('access-control-allow-origin'), null);
  });
});

describe('production mode', () => {
  it('refuses a bare openid with 401 but accepts a session', async () => {
    const { startFakeWechatServer } = await import('./support/fake-wechat-server.js');
    const wechat = await startFakeWechatServer();
    const gw = await startGateway({ wechat, env: { NODE_ENV: 'production' } });
    try {
      const bare = await post(`${gw.url}/wechat/chat`, { query: '你好', openid: wechat.openIdFor('someone') });
      assert.equal(bare.status, 401);
      assert.equal(bare.body.data.reason, 'openid_not_trusted');
      const login = await post(`${gw.url}/wechat/login`, { code: 'prod_code' });
      assert.equal(login.body.data.openid, wechat.openIdFor('prod_code'));
      const chat = await post(`${gw.url}/wechat/chat`, { query: '你好' }, { authorization: `Bearer ${login.body.data.session_id}` });
      assert.equal(chat.status, 200);
      assert.equal(chat.body.code, 0, 'offline mode still answers');
    } finally {
      await gw.stop();
      await wechat.close();
    }
  });
});
