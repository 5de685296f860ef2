import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeLlmServer, type FakeLlmServer } from './support/fake-llm-server.js';
import { startGateway, type RunningGateway } from './support/start-gateway.js';
import { until } from './support/wait.js';
import { WsTestClient } from './support/ws-test-client.js';

describe('WebSocket /wechat/ws: the seed protocol and its extensions', () => {
  let llm: FakeLlmServer;
  let gw: RunningGateway;

  before(async () => {
    llm = await startFakeLlmServer({ apiKey: 'test-key', deltaChars: 1, deltaLatencyMs: 2 });
    gw = await startGateway({ llm, env: { STREAM_COALESCE_MS: '30' } });
  });
  after(async () => {
    await gw.stop();
    await llm.close();
  });

  it('speaks the seed exactly: connected, login_response, chat_processing, chat_response, pong', async () => {
    const client = await WsTestClient.connect(gw.wsUrl);
    assert.deepEqual(await client.next(), { type: 'connected', code: 0, message: '连接成功', data: null });

    client.send({ type: 'login', code: 'seed_code' });
    const login = await client.next();
    assert.equal(login.type, 'login_response');
    assert.equal(login.code, 0);
    assert.equal(login.message, '登录成功');
    assert.match(login.data.openid, /^dev_/);
    assert.ok(login.data.session_id.length >= 43, '≥ 256 random bits, base64url');
    assert.equal('request_id' in login, false);

    client.send({ type: 'chat', query: '你好', use_auto_rag: false });
    assert.deepEqual(await client.next(), { type: 'chat_processing', code: 0, message: '正在处理中...', data: null });
    const answer = await client.next();
    assert.equal(answer.type, 'chat_response');
    assert.equal(answer.code, 0);
    assert.equal(answer.message, '成功');
    assert.deepEqual(Object.keys(answer.data).sort(), ['id', 'msg', 'session_id']);
    assert.equal(answer.data.msg, '收到：你好');
    assert.equal(answer.data.session_id, login.data.session_id);

    client.send({ type: 'ping' });
    assert.deepEqual(await client.next(), { type: 'pong', code: 0, message: 'pong', data: null });
    await client.close();
  });

  it('sends the system prompt and the conversation so far to the model', async () => {
    const { client } = await WsTestClient.loggedIn(gw.wsUrl, 'context_code');
    client.send({ type: 'chat', query: '第一个问题' });
    await client.nextOf('chat_response');
    const before = llm.requests.length;
    client.send({ type: 'chat', query: '第二个问题' });
    await client.nextOf('chat_response');
    const sent = llm.requests[before]!.body as { messages: Array<{ role: string; content: string }> };
    assert.deepEqual(
      sent.messages.map((m) => m.role),
      ['system', 'user', 'assistant', 'user'],
    );
    assert.equal(sent.messages[1]!.content, '第一个问题');
    assert.equal(sent.messages[2]!.content, '收到：第一个问题');
    assert.equal(sent.messages[3]!.content, '第二个问题');
    await client.close();
  });

  it('streams coalesced chat_delta frames in order when asked, echoing request_id everywhere', async () => {
    const long = '流式回答'.repeat(40);
    llm.setReply(() => long);
    try {
      const { client } = await WsTestClient.loggedIn(gw.wsUrl, 'stream_code');
      client.send({ type: 'chat', query: '讲个长故事', stream: true, request_id: 'r-1' });
      const processing = await client.next();
      assert.equal(processing.type, 'chat_processing');
      assert.equal(processing.request_id, 'r-1');
      const id = processing.data.id as string;
      const response = await client.nextOf('chat_response');
      const deltas = response.skipped;
      assert.ok(deltas.length >= 2, 'more than one delta');
      assert.ok(deltas.length < long.length / 2, `coalesced: ${deltas.length} frames for ${long.length} tokens`);
      deltas.forEach((d, i) => {
        assert.equal(d.type, 'chat_delta');
        assert.equal(d.request_id, 'r-1');
        assert.equal(d.data.id, id);
        assert.equal(d.data.index, i);
      });
      assert.equal(deltas.map((d) => d.data.delta).join(''), long);
      assert.equal(response.data.msg, long);
      assert.equal(response.data.id, id);
      assert.equal(response.data.status, 'complete');
      assert.equal(response.request_id, 'r-1');
      await client.close();
    } finally {
      llm.setReply((body) => `收到：${body.messages.at(-1)?.content}`);
    }
  });

  it('history returns the conversation; clear starts a new one', async () => {
    const { client } = await WsTestClient.loggedIn(gw.wsUrl, 'history_code');
    client.send({ type: 'chat', query: '记住这句话' });
    const answer = await client.nextOf('chat_response');
    client.send({ type: 'history', request_id: 7 });
    const history = await client.nextOf('history_response');
    assert.equal(history.request_id, 7);
    const messages = history.data.messages as Array<{ id: string; role: string; content: string; status: string }>;
    assert.deepEqual(
      messages.map((m) => [m.role, m.content, m.status]),
      [
        ['user', '记住这句话', 'complete'],
        ['assistant', '收到：记住这句话', 'complete'],
      ],
    );
    assert.equal(messages[1]!.id, answer.data.id);
    client.send({ type: 'clear' });
    assert.equal((await client.nextOf('clear_response')).code, 0);
    client.send({ type: 'history' });
    assert.deepEqual((await client.nextOf('history_response')).data.messages, []);
    await client.close();
  });

  it('login with session_id resumes on a new socket without calling wx.login again', async () => {
    const first = await WsTestClient.loggedIn(gw.wsUrl, 'resume_code');
    await first.client.close();
    const client = await WsTestClient.connect(gw.wsUrl);
    await client.nextOf('connected');
    client.send({ type: 'login', session_id: first.login.data.session_id });
    const resumed = await client.nextOf('login_response');
    assert.equal(resumed.code, 0);
    assert.equal(resumed.data.openid, first.login.data.openid);
    assert.equal(resumed.data.session_id, first.login.data.session_id);
    client.send({ type: 'chat', query: '续上' });
    assert.equal((await client.nextOf('chat_response')).code, 0);

    client.send({ type: 'login', session_id: 'no-such-session' });
    const refused = await client.nextOf('login_response');
    assert.equal(refused.code, 401);
    assert.equal(refused.data.reason, 'session_expired');
    await client.close();
  });

  it('after a re-login, the answer in flight still ends with the chat\'s request_id (same socket and a new one)', async () => {
    llm.setReply(() => '慢慢地回答。'.repeat(60));
    try {
      const { client, login } = await WsTestClient.loggedIn(gw.wsUrl, 'relogin_code');
      const session_id = login.data.session_id as string;
      client.send({ type: 'chat', query: '说长一点', stream: true, request_id: 'c-1' });
      const processing = await client.nextOf('chat_processing');
      await client.nextOf('chat_delta');
      client.send({ type: 'login', session_id, request_id: 'l-1' });
      const relogin = await client.nextOf('login_response');
      assert.equal(relogin.request_id, 'l-1');
      assert.equal(relogin.data.pending_answer.id, processing.data.id);
      const sameSocket = await client.nextOf('chat_response');
      assert.equal(sameSocket.request_id, 'c-1');
      assert.ok(sameSocket.skipped.every((f) => f.type === 'chat_delta' && f.request_id === 'c-1'), 'still streams as asked');

      client.send({ type: 'chat', query: '再说一遍', stream: true, request_id: 'c-2' });
      await client.nextOf('chat_delta');
      const other = await WsTestClient.connect(gw.wsUrl);
      await other.nextOf('connected');
      other.send({ type: 'login', session_id, request_id: 'l-2' });
      assert.equal((await other.nextOf('login_response')).data.pending_answer?.next_index >= 1, true);
      const otherSocket = await other.nextOf('chat_response');
      assert.equal(otherSocket.request_id, 'c-2');
      assert.equal(otherSocket.data.status, 'complete');
      await client.nextOf('chat_response');
      await Promise.all([client.close(), other.close()]);
    } finally {
      llm.setReply((body) => `收到：${body.messages.at(-1)?.content}`);
    }
  });
});

describe('WebSocket: a socket that closes while its message awaits', () => {
  it('a chat whose socket closes during authentication starts no answer and attaches nothing', async () => {
    const llm = await startFakeLlmServer({ apiKey: 'test-key' });
    const gw = await startGateway({ llm });
    try {
      const { client } = await WsTestClient.loggedIn(gw.wsUrl, 'slow_store_code');
      // The real session store, held up on its next read until the test lets it go.
      const store = gw.stores.sessions;
      const realGet = store.get.bind(store);
      let entered = false;
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let answered: Promise<unknown> | undefined;
      store.get = (sessionId) => {
        entered = true;
        answered = released.then(() => realGet(sessionId));
        return answered as ReturnType<typeof realGet>;
      };
      const requestsBefore = llm.requests.length;
      client.send({ type: 'chat', query: '你好', request_id: 'gone' });
      await until(() => entered, 'the chat to reach the session store');
      await client.close();
      await until(() => gw.logs.some((line) => line.includes('"socket closed"')), 'the server to see the close');
      release();
      await answered;
      // let the handler's continuation after authentication run to its end
      await new Promise((resolve) => setImmediate(resolve));
      store.get = realGet;
      assert.equal(gw.app.chat.activeCount, 0, 'no answer started for a closed socket');
      assert.equal(llm.requests.length, requestsBefore, 'the model was not called');
    } finally {
      await gw.stop();
      await llm.close();
    }
  });
});

describe('WebSocket: SIGTERM draining', () => {
  it('while draining: health 503, a new chat on an open socket is refused, the answer in flight finishes', async () => {
    const llm = await startFakeLlmServer({ apiKey: 'test-key', deltaChars: 1, deltaLatencyMs: 5, reply: () => '收尾中的回答。'.repeat(30) });
    const gw = await startGateway({ llm, env: { SHUTDOWN_GRACE_MS: '60000' } });
    try {
      const asker = await WsTestClient.loggedIn(gw.wsUrl, 'drain_asker');
      const idle = await WsTestClient.loggedIn(gw.wsUrl, 'drain_idle');
      asker.client.send({ type: 'chat', query: '说完再走', stream: true, request_id: 'in-flight' });
      await asker.client.nextOf('chat_delta');
      const stopping = gw.app.shutdown();

      const health = await fetch(`${gw.url}/wechat/health`);
      assert.equal(health.status, 503);
      const body = (await health.json()) as any;
      assert.equal(body.code, 503);
      assert.equal(body.message, '服务正在重启，请稍后重连');
      assert.equal(body.data.reason, 'shutting_down');
      assert.equal(body.data.draining, true);

      idle.client.send({ type: 'chat', query: '还能问吗', request_id: 'late' });
      const refused = await idle.client.next();
      assert.deepEqual(refused, {
        type: 'error',
        code: 503,
        message: '服务正在重启，请稍后重连',
        data: { reason: 'shutting_down' },
        request_id: 'late',
      });

      const answer = await asker.client.nextOf('chat_response');
      assert.equal(answer.code, 0);
      assert.equal(answer.data.status, 'complete');
      assert.equal(answer.data.msg, '收尾中的回答。'.repeat(30));
      await stopping;
      assert.equal((await asker.client.closed).code, 1001);
      assert.equal((await idle.client.closed).code, 1001);
    } finally {
      await gw.stop();
      await llm.close();
    }
  });
});
