import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startFakeLlmServer, type FakeLlmServer } from './support/fake-llm-server.js';
import { startGateway, type RunningGateway } from './support/start-gateway.js';
import { until } from './support/wait.js';
import { WsTestClient } from './support/ws-test-client.js';

// a full collection on demand, without starting the test process with --expose-gc
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

describe('WebSocket bad input and limits', () => {
  let llm: FakeLlmServer;
  let gw: RunningGateway;

  before(async () => {
    llm = await startFakeLlmServer({ apiKey: 'test-key', deltaLatencyMs: 20 });
    gw = await startGateway({
      llm,
      env: { MAX_QUERY_CHARS: '2000', WS_MAX_FRAME_BYTES: '65536', LLM_MAX_RETRIES: '0' },
    });
  });
  after(async () => {
    await gw.stop();
    await llm.close();
  });

  it('answers malformed and unknown messages with error 400 and keeps the connection', async () => {
    const client = await WsTestClient.connect(gw.wsUrl);
    await client.nextOf('connected');
    const cases: Array<[string, string, RegExp?]> = [
      ['{not json', 'bad_json'],
      ['[1,2,3]', 'bad_message', /JSON 对象/],
      ['"text"', 'bad_message'],
      ['null', 'bad_message'],
      ['{"query":"no type"}', 'bad_message', /type/],
      ['{"type":"dance"}', 'unknown_type', /dance/],
      ['{"type":"login"}', 'bad_message', /code/],
      ['{"type":"login","code":42}', 'bad_message', /code/],
    ];
    for (const [text, reason, pattern] of cases) {
      client.send(text);
      const error = await client.next();
      assert.equal(error.type, 'error', text);
      assert.equal(error.code, 400, text);
      assert.equal(error.data.reason, reason, text);
      if (pattern) assert.match(error.message, pattern, text);
    }
    client.send({ type: 'dance', request_id: 'x9' });
    assert.equal((await client.next()).request_id, 'x9', 'request_id echoed even on errors');
    client.socket.send(Buffer.from([1, 2, 3]), { binary: true });
    assert.equal((await client.next()).data.reason, 'binary_not_supported');
    client.send({ type: 'ping' });
    assert.equal((await client.next()).type, 'pong', 'connection still usable');
    await client.close();
  });

  it('validates chat fields once logged in', async () => {
    const { client } = await WsTestClient.loggedIn(gw.wsUrl);
    client.send({ type: 'chat' });
    assert.match((await client.next()).message, /query/);
    client.send({ type: 'chat', query: 123 });
    assert.equal((await client.next()).code, 400);
    client.send({ type: 'chat', query: '你好', stream: 'yes' });
    assert.match((await client.next()).message, /stream/);
    client.send({ type: 'chat', query: '   ' });
    assert.equal((await client.next()).data.reason, 'empty_query');
    client.send({ type: 'chat', query: '长'.repeat(2001) });
    const tooLong = await client.next();
    assert.equal(tooLong.code, 400);
    assert.equal(tooLong.data.reason, 'query_too_long');
    llm.setReply(() => '好的');
    try {
      client.send({ type: 'chat', query: '长'.repeat(2000) });
      assert.equal((await client.next()).type, 'chat_processing', '2,000 characters is accepted');
      assert.equal((await client.nextOf('chat_response')).code, 0);
    } finally {
      llm.setReply((body) => `收到：${body.messages.at(-1)?.content}`);
    }
    await client.close();
  });

  it('names the bad field in Chinese: no English text from the validator reaches a client', async () => {
    const { client } = await WsTestClient.loggedIn(gw.wsUrl);
    const cases: Array<[unknown, string]> = [
      [{ type: 'history', limit: 0 }, '字段 limit 无效：不能小于 1'],
      [{ type: 'history', limit: 201 }, '字段 limit 无效：不能大于 200'],
      [{ type: 'history', limit: 1.5 }, '字段 limit 无效：应为整数'],
      [{ type: 'chat', query: 123 }, '字段 query 无效：query 必须是字符串'],
      [{ type: 'chat', query: '你好', use_auto_rag: 'yes' }, '字段 use_auto_rag 无效：应为布尔值（true 或 false）'],
      [{ type: 'resume' }, '字段 id 无效：缺少这个字段'],
      [{ type: 'cancel', id: 'x'.repeat(129) }, '字段 id 无效：最多 128 个字符'],
      [{ type: 'ping', request_id: { nested: true } }, '字段 request_id 无效：request_id 应为字符串（最多 128 个字符）或数字'],
      [{ type: 'login', code: 42 }, '字段 code 无效：应为字符串'],
    ];
    for (const [message, text] of cases) {
      client.send(message);
      const error = await client.next();
      assert.equal(error.data.reason, 'bad_message', JSON.stringify(message));
      assert.equal(error.message, text, JSON.stringify(message));
    }
    await client.close();
  });

  it('closes a frame over 64 KiB with 1009', async () => {
    const client = await WsTestClient.connect(gw.wsUrl);
    await client.nextOf('connected');
    client.send({ type: 'chat', query: 'x'.repeat(70_000) });
    const { code } = await client.closed;
    assert.equal(code, 1009);
  });

  it('a broken WebSocket frame closes that socket with 1002 (logged) and the server goes on', async () => {
    const client = await WsTestClient.connect(gw.wsUrl);
    await client.nextOf('connected');
    // a masked frame with the reserved opcode 3: ws refuses it while reading
    (client.socket as unknown as { _socket: Socket })._socket.write(Buffer.from([0x83, 0x80, 1, 2, 3, 4]));
    assert.equal((await client.closed).code, 1002);
    await until(() => gw.logs.some((line) => line.includes('socket error') && line.includes('opcode')), 'the error is logged');
    const { client: next } = await WsTestClient.loggedIn(gw.wsUrl, 'after_broken_frame');
    next.send({ type: 'ping' });
    assert.equal((await next.next()).type, 'pong');
    await next.close();
  });

  it('lets the upgrade request go once the socket is open (nothing of it held per idle socket)', async () => {
    const requests: WeakRef<IncomingMessage>[] = [];
    const keep = (request: IncomingMessage) => requests.push(new WeakRef(request));
    gw.app.fastify.server.on('upgrade', keep);
    const clients = [];
    try {
      for (let i = 0; i < 3; i++) clients.push((await WsTestClient.loggedIn(gw.wsUrl, `held_socket_${i}`)).client);
    } finally {
      gw.app.fastify.server.off('upgrade', keep);
    }
    assert.equal(requests.length, 3);
    // a WeakRef holds its target until the job that made it ends: collect on later turns
    for (let i = 0; i < 5 && requests.some((ref) => ref.deref()); i++) {
      await sleep(10);
      collectGarbage();
    }
    assert.equal(requests.filter((ref) => ref.deref()).length, 0, 'upgrade requests still reachable from open sockets');
    for (const client of clients) {
      client.send({ type: 'ping' });
      assert.equal((await client.next()).type, 'pong', 'the sockets still work');
      await client.close();
    }
  });

  it('refuses chat, history, clear and cancel before login with 401', async () => {
    const client = await WsTestClient.connect(gw.wsUrl);
    await client.nextOf('connected');
    for (const type of ['chat', 'history', 'clear', 'cancel']) {
      client.send({ type, query: '你好' });
      const error = await client.next();
      assert.equal(error.type, 'error');
      assert.equal(error.code, 401, type);
      assert.equal(error.data.reason, 'not_logged_in');
    }
    await client.close();
  });

  it('an expired session gets 401 session_expired, and a fresh login works again', async () => {
    const { client, login } = await WsTestClient.loggedIn(gw.wsUrl, 'expiring_code');
    await gw.stores.sessions.touch(login.data.session_id, Date.now() - 1); // ends the session
    client.send({ type: 'chat', query: '还在吗' });
    const error = await client.next();
    assert.equal(error.code, 401);
    assert.equal(error.data.reason, 'session_expired');
    client.send({ type: 'chat', query: '还在吗' });
    assert.equal((await client.next()).data.reason, 'not_logged_in');
    client.send({ type: 'login', code: 'expiring_code_2' });
    assert.equal((await client.nextOf('login_response')).code, 0);
    await client.close();
  });

  it('a second chat while one is in flight gets 409; cancel stops it and stores the partial answer', async () => {
    llm.setReply(() => '这是一个很长的回答，'.repeat(30));
    try {
      const { client } = await WsTestClient.loggedIn(gw.wsUrl, 'busy_code');
      const abortedBefore = llm.abortedCount();
      client.send({ type: 'chat', query: '慢慢说', stream: true });
      const processing = await client.nextOf('chat_processing');
      await client.nextOf('chat_delta');
      client.send({ type: 'chat', query: '插队' });
      const conflict = await client.nextOf('error');
      assert.equal(conflict.code, 409);
      assert.equal(conflict.data.reason, 'chat_in_progress');
      client.send({ type: 'cancel', id: processing.data.id });
      const cancelled = await client.nextOf('cancel_response');
      assert.deepEqual(cancelled.data, { id: processing.data.id, cancelled: true });
      const response = await client.nextOf('chat_response');
      assert.equal(response.code, 0);
      assert.equal(response.data.status, 'cancelled');
      assert.ok(response.data.msg.length > 0 && response.data.msg.length < 300, 'partial text');
      for (let i = 0; i < 50 && llm.abortedCount() === abortedBefore; i++) await sleep(20);
      assert.equal(llm.abortedCount(), abortedBefore + 1, 'the upstream request was aborted');
      client.send({ type: 'history' });
      const last = (await client.nextOf('history_response')).data.messages.at(-1);
      assert.deepEqual([last.id, last.status, last.content], [processing.data.id, 'cancelled', response.data.msg]);
      client.send({ type: 'cancel' });
      assert.equal((await client.nextOf('cancel_response')).data.cancelled, false);
      await client.close();
    } finally {
      llm.setReply((body) => `收到：${body.messages.at(-1)?.content}`);
    }
  });

  it('a model failure answers chat_response 502 in Chinese and keeps the question', async () => {
    const { client } = await WsTestClient.loggedIn(gw.wsUrl, 'fail_code');
    llm.pushFault({ status: 500 });
    client.send({ type: 'chat', query: '会失败' });
    await client.nextOf('chat_processing');
    const failed = await client.nextOf('chat_response');
    assert.equal(failed.code, 502);
    assert.equal(failed.data.reason, 'model_error');
    assert.match(failed.message, /AI 服务暂时不可用/);
    client.send({ type: 'history' });
    const stored = (await client.nextOf('history_response')).data.messages;
    assert.equal(stored.at(-1).content, '会失败', 'the question is kept even though the model failed');
    await client.close();
  });
});

describe('WebSocket timers, caps and the model queue', () => {
  let llm: FakeLlmServer;
  let gw: RunningGateway;

  before(async () => {
    llm = await startFakeLlmServer({ apiKey: 'test-key', deltaLatencyMs: 30 });
    gw = await startGateway({
      llm,
      env: {
        WS_LOGIN_TIMEOUT_MS: '300',
        WS_IDLE_TIMEOUT_MS: '600',
        WS_MAX_CONNECTIONS_PER_IP: '3',
        LLM_MAX_CONCURRENCY: '1',
        LLM_QUEUE_SIZE: '1',
        LLM_TIMEOUT_MS: '1000',
        LLM_MAX_RETRIES: '0',
      },
    });
  });
  after(async () => {
    await gw.stop();
    await llm.close();
  });

  it('closes a socket that never logs in with 4001, a silent one with 4002', async () => {
    const lazy = await WsTestClient.connect(gw.wsUrl);
    assert.equal((await lazy.closed).code, 4001);
    const { client } = await WsTestClient.loggedIn(gw.wsUrl, 'idle_code');
    const started = Date.now();
    assert.equal((await client.closed).code, 4002);
    assert.ok(Date.now() - started >= 500);
  });

  it('pings keep a logged-in socket open past the idle timeout', async () => {
    const { client } = await WsTestClient.loggedIn(gw.wsUrl, 'pinger');
    for (let i = 0; i < 5; i++) {
      await sleep(250);
      client.send({ type: 'ping' });
      assert.equal((await client.nextOf('pong')).type, 'pong');
    }
    assert.equal(client.closeCode, undefined);
    await client.close();
  });

  it('caps sockets per IP: the next one gets error 429 and close 1013', async () => {
    const open = await Promise.all([1, 2, 3].map(() => WsTestClient.connect(gw.wsUrl)));
    const extra = await WsTestClient.connect(gw.wsUrl);
    const error = await extra.nextOf('error');
    assert.equal(error.code, 429);
    assert.equal(error.data.reason, 'too_many_connections');
    assert.equal((await extra.closed).code, 1013);
    await Promise.all(open.map((c) => c.close()));
  });

  it('one model slot, one queue place: the third concurrent chat gets 503, the queued one completes', async () => {
    llm.setReply(() => '慢'.repeat(20));
    try {
      const users = await Promise.all(['q1', 'q2', 'q3'].map((code) => WsTestClient.loggedIn(gw.wsUrl, code)));
      const [a, b, c] = users.map((u) => u.client) as [WsTestClient, WsTestClient, WsTestClient];
      a.send({ type: 'chat', query: '一' });
      await a.nextOf('chat_processing');
      b.send({ type: 'chat', query: '二' });
      await b.nextOf('chat_processing');
      c.send({ type: 'chat', query: '三' });
      const busy = await c.nextOf('error');
      assert.equal(busy.code, 503);
      assert.equal(busy.data.reason, 'server_busy');
      assert.equal((await a.nextOf('chat_response', 10_000)).code, 0);
      assert.equal((await b.nextOf('chat_response', 10_000)).code, 0);
      await Promise.all(users.map((u) => u.client.close()));
    } finally {
      llm.setReply((body) => `收到：${body.messages.at(-1)?.content}`);
    }
  });

  it('a model that never answers gives chat_response 504', async () => {
    const { client } = await WsTestClient.loggedIn(gw.wsUrl, 'hang_code');
    llm.pushFault({ hang: true });
    client.send({ type: 'chat', query: '你在吗' });
    const response = await client.nextOf('chat_response', 10_000);
    assert.equal(response.code, 504);
    assert.equal(response.data.reason, 'model_timeout');
    await client.close();
  });
});
