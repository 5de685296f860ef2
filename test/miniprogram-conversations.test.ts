import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { WebSocketServer, type WebSocket as ServerSocket } from 'ws';
import { startFakeLlmServer, type FakeLlmServer } from './support/fake-llm-server.js';
import { startGateway, type RunningGateway } from './support/start-gateway.js';
import { createWxEnvironment, type WxEnvironment } from './support/wx-shim.js';
import { plain, until } from './support/wait.js';

/**
 * The kit's conversation list, ratings and suggestions (client-conversations.js) under the wx
 * shim against the real gateway; and against a gateway from before them (a loopback ws server
 * that answers the way an older one does: `unknown_type`, history without conversation_id).
 */
const ROOT = join(import.meta.dirname, '..', 'miniprogram');
const FAST = { reconnect: { delay: 20, factor: 2, maxDelay: 200, jitter: 0.5 }, requestTimeout: 3000 };

describe('mini-program kit: conversations, ratings, suggestions (real gateway)', () => {
  let llm: FakeLlmServer;
  let gw: RunningGateway;
  const clients: any[] = [];

  function client(storage: Record<string, string> = {}) {
    const env = createWxEnvironment({ root: ROOT });
    for (const [key, value] of Object.entries(storage)) env.storage.set(key, value);
    const c = env.require('lib/index.js').createChatClient({ url: gw.wsUrl, ...FAST });
    clients.push(c);
    const out: any[] = [];
    const errors: any[] = [];
    c.on('frame', (f: any) => f.direction === 'out' && out.push(plain(f.frame)));
    c.on('error', (e: any) => errors.push(plain(e)));
    c.start();
    return { env, c, out, errors };
  }

  /** asks and waits for the final snapshot */
  async function ask(c: any, query: string, options?: unknown): Promise<any> {
    let final: any;
    const off = c.on('answer', (a: any) => {
      if (a.done) final = plain(a);
    });
    assert.ok(c.chat(query, options), 'accepted');
    await until(() => final, `answer to ${query}`);
    off();
    return final;
  }

  before(async () => {
    llm = await startFakeLlmServer({ apiKey: 'test-key' });
    llm.setReply((body) => `收到：${String(body.messages.at(-1)?.content)}`);
    gw = await startGateway({ llm, env: { KB_LOAD_SAMPLE: 'false' } });
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.stop();
  });
  after(async () => {
    await gw.stop();
    await llm.close();
  });

  it('lists conversations, opens one, continues it, and deletes another', async () => {
    const { c, out, errors } = client();
    const first = await ask(c, '第一段对话的问题');
    assert.match(first.conversationId, /.+/, 'the snapshot says where the answer is stored');
    assert.equal(c.conversationId, first.conversationId);
    await c.clear();
    assert.equal(c.conversationId, null);
    const second = await ask(c, '第二段对话的问题');
    assert.notEqual(second.conversationId, first.conversationId);

    const list = await c.listConversations();
    assert.deepEqual(plain(list.conversations.map((x: any) => [x.conversation_id, x.title, x.message_count])), [
      [second.conversationId, '第二段对话的问题', 2],
      [first.conversationId, '第一段对话的问题', 2],
    ]);
    assert.equal(list.nextCursor, null);
    const paged = await c.listConversations({ limit: 1 });
    assert.equal(paged.conversations.length, 1);
    assert.equal((await c.listConversations({ before: paged.nextCursor })).conversations[0].conversation_id, first.conversationId);

    const opened = await c.openConversation(first.conversationId);
    assert.equal(opened.conversationId, first.conversationId);
    assert.deepEqual(plain(opened.messages.map((m: any) => [m.role, m.content])), [['user', '第一段对话的问题'], ['assistant', '收到：第一段对话的问题']]);
    assert.equal(c.conversationId, first.conversationId);

    // continuing: the chat carries the id, the model sees that conversation's context
    const more = await ask(c, '接着第一段问');
    assert.equal(more.conversationId, first.conversationId);
    assert.equal(out.filter((f) => f.type === 'chat').at(-1).conversation_id, first.conversationId);
    assert.match(JSON.stringify(llm.requests.at(-1)!.body.messages), /第一段对话的问题/);
    assert.doesNotMatch(JSON.stringify(llm.requests.at(-1)!.body.messages), /第二段对话的问题/);

    assert.equal(await c.deleteConversation(second.conversationId), true);
    const after = await c.listConversations();
    assert.deepEqual(plain(after.conversations.map((x: any) => x.conversation_id)), [first.conversationId]);
    // deleting the conversation the client is in: the next question starts a new one
    await c.deleteConversation(first.conversationId);
    assert.equal(c.conversationId, null);
    const fresh = await ask(c, '删除之后的新问题');
    assert.equal(fresh.status, 'complete');
    assert.ok(![first.conversationId, second.conversationId].includes(fresh.conversationId));
    assert.deepEqual(errors, []);
  });

  it('a conversation deleted elsewhere: a clear Chinese error, then the next question starts afresh', async () => {
    const phone = client();
    const answer = await ask(phone.c, '会在别处被删除的对话');
    const tablet = client({ wag_session_id: phone.env.storage.get('wag_session_id') as string });
    await tablet.c.deleteConversation(answer.conversationId);

    await assert.rejects(phone.c.openConversation(answer.conversationId), (e: any) => e.reason === 'conversation_not_found' && e.text === '这个对话已被删除，请刷新列表');
    await assert.rejects(phone.c.deleteConversation(answer.conversationId), (e: any) => e.reason === 'conversation_not_found');
    const failed = await ask(phone.c, '再问一句');
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error.reason, 'conversation_not_found');
    assert.equal(phone.c.conversationId, null, 'forgotten: the next question goes to a new conversation');
    assert.equal((await ask(phone.c, '再问一句')).status, 'complete');
    await assert.rejects(phone.c.openConversation(''), (e: any) => e.reason === 'conversation_not_found');
  });

  it('rates an answer, changes the rating, and history shows the current one', async () => {
    const { c } = client();
    const answer = await ask(c, '请评价这个回答');
    assert.deepEqual(plain(await c.rate(answer.id, 'up')), { id: answer.id, rating: 'up' });
    assert.equal((await c.history()).find((m: any) => m.id === answer.id).rating, 'up');
    assert.deepEqual(plain(await c.rate(answer.id, 'down', '  没有回答我的问题  ')), { id: answer.id, rating: 'down' });
    const rated = (await c.history()).find((m: any) => m.id === answer.id);
    assert.equal(rated.rating, 'down');

    // refused locally with Chinese text, nothing sent; refused by the server likewise
    await assert.rejects(c.rate(answer.id, 'meh'), (e: any) => e.reason === 'bad_rating' && e.text === '评价只能是有帮助或没帮助');
    await assert.rejects(c.rate(answer.id, 'up', '长'.repeat(501)), (e: any) => e.reason === 'comment_too_long' && /500/.test(e.text));
    await assert.rejects(c.rate('', 'up'), (e: any) => e.reason === 'answer_not_found');
    await assert.rejects(c.rate('not-an-answer-of-mine', 'up'), (e: any) => e.reason === 'answer_not_found' && e.code === 404);
    const question = (await c.history()).find((m: any) => m.role === 'user');
    await assert.rejects(c.rate(question.id, 'up'), (e: any) => e.reason === 'answer_not_found', 'a question cannot be rated');
  });

  it('old clients are unchanged: a chat without conversations sends no conversation_id', async () => {
    // a client that never saw a conversation id (e.g. first question after start) sends the seed's fields only
    const { c, out } = client();
    await until(() => c.state === 'ready', 'ready');
    c.chat('第一个问题');
    await until(() => out.some((f) => f.type === 'chat'), 'sent');
    assert.deepEqual(Object.keys(out.find((f) => f.type === 'chat')).sort(), ['query', 'request_id', 'stream', 'type', 'use_auto_rag']);
  });

  it('the HTTP fallback client does the same over the HTTP routes', async () => {
    const env = createWxEnvironment({ root: ROOT });
    const c = env.require('lib/index.js').createHttpChatClient({ baseUrl: gw.url });
    const answer = await ask(c, 'HTTP 的第一个问题');
    assert.equal(answer.status, 'complete');
    assert.equal(c.conversationId, answer.conversationId);
    assert.deepEqual(plain(await c.rate(answer.id, 'up', '好')), { id: answer.id, rating: 'up' });
    const list = await c.listConversations({ limit: 5 });
    assert.deepEqual(plain(list.conversations.map((x: any) => [x.conversation_id, x.title])), [[answer.conversationId, 'HTTP 的第一个问题']]);
    const opened = await c.openConversation(answer.conversationId);
    assert.deepEqual(plain(opened.messages.map((m: any) => [m.role, m.rating ?? null])), [['user', null], ['assistant', 'up']]);
    const next = await ask(c, '接着问');
    assert.equal(next.conversationId, answer.conversationId, 'continued in the same conversation');
    assert.equal(await c.deleteConversation(answer.conversationId), true);
    assert.equal(c.conversationId, null);
    assert.deepEqual(plain((await c.listConversations()).conversations), []);
    await assert.rejects(c.openConversation(answer.conversationId), (e: any) => e.reason === 'conversation_not_found' && e.code === 404);
    await assert.rejects(c.rate(answer.id, 'sideways'), (e: any) => e.reason === 'bad_rating');
  });

  it('chat_suggestions frames become a `suggestions` event; junk entries are dropped', async () => {
    // the frame is written on the gateway's side of this client's live socket (unit level for the
    // kit; the end-to-end run with SUGGESTIONS=on is in miniprogram-page-conversations)
    await until(() => gw.app.fastify.websocketServer.clients.size === 0, 'earlier clients gone');
    const { c } = client();
    const seen: any[] = [];
    c.on('suggestions', (s: any) => seen.push(plain(s)));
    const answer = await ask(c, '建议测试');
    const sockets = [...gw.app.fastify.websocketServer.clients];
    assert.equal(sockets.length, 1);
    const socket = sockets[0]!;
    socket.send(JSON.stringify({ type: 'chat_suggestions', code: 0, message: '你可能还想问', data: { id: answer.id, suggestions: ['退货运费谁出？', '', 3, '换货要多久？'] } }));
    socket.send(JSON.stringify({ type: 'chat_suggestions', code: 0, message: '你可能还想问', data: { id: 'other', suggestions: 'not a list' } }));
    await until(() => seen.length === 1, 'the suggestions event');
    assert.deepEqual(seen, [{ id: answer.id, localId: answer.localId, suggestions: ['退货运费谁出？', '换货要多久？'] }]);
  });
});

describe('mini-program kit against a gateway from before conversations', () => {
  let server: WebSocketServer;
  let url: string;
  const envs: WxEnvironment[] = [];

  before(async () => {
    // answers like an older gateway: login works, history ignores conversation_id, new types are unknown
    server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => server.once('listening', resolve));
    url = `ws://127.0.0.1:${(server.address() as { port: number }).port}`;
    server.on('connection', (socket: ServerSocket) => {
      socket.send(JSON.stringify({ type: 'connected', code: 0, message: '连接成功', data: null }));
      socket.on('message', (raw) => {
        const msg = JSON.parse(String(raw));
        const reply = (frame: object) => socket.send(JSON.stringify({ ...frame, request_id: msg.request_id }));
        if (msg.type === 'login') return reply({ type: 'login_response', code: 0, message: '登录成功', data: { openid: 'o_old', session_id: 's'.repeat(43) } });
        if (msg.type === 'history') return reply({ type: 'history_response', code: 0, message: '成功', data: { messages: [] } });
        if (msg.type === 'ping') return reply({ type: 'pong', code: 0, message: 'pong', data: null });
        reply({ type: 'error', code: 400, message: `未知的消息类型：${msg.type}`, data: { reason: 'unknown_type' } });
      });
    });
  });
  after(async () => {
    for (const env of envs) env.app?.chat?.stop();
    for (const socket of server.clients) socket.terminate();
    await new Promise((resolve) => server.close(resolve));
  });

  it('each new call ends with feature_unsupported and a Chinese text; nothing hangs', async () => {
    const env = createWxEnvironment({ root: ROOT });
    envs.push(env);
    const c = env.require('lib/index.js').createChatClient({ url, ...FAST });
    c.start();
    const unsupported = (e: any) => e.reason === 'feature_unsupported' && e.text === '服务器版本较旧，暂不支持这个功能';
    await assert.rejects(c.listConversations(), unsupported);
    await assert.rejects(c.openConversation('c_1'), unsupported, 'history without conversation_id is not taken for that conversation');
    await assert.rejects(c.deleteConversation('c_1'), unsupported);
    await assert.rejects(c.rate('a_1', 'up'), unsupported);
    assert.deepEqual(plain(await c.history()), [], 'the old calls still work');
    assert.equal(c.conversationId, null);
    c.stop();
  });

  it('the HTTP fallback client: a gateway without the routes (404 not_found) ends as feature_unsupported', async () => {
    const older = createServer((req, res) => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ code: 404, message: '接口不存在', data: { reason: 'not_found' } }));
    });
    await new Promise<void>((resolve) => older.listen(0, '127.0.0.1', resolve));
    try {
      const env = createWxEnvironment({ root: ROOT });
      env.storage.set('wag_session_id', 's'.repeat(43));
      const c = env.require('lib/index.js').createHttpChatClient({ baseUrl: `http://127.0.0.1:${(older.address() as AddressInfo).port}` });
      for (const call of [() => c.listConversations(), () => c.openConversation('c_1'), () => c.deleteConversation('c_1'), () => c.rate('a', 'up')]) {
        await assert.rejects(call(), (e: any) => e.reason === 'feature_unsupported' && e.text === '服务器版本较旧，暂不支持这个功能');
      }
    } finally {
      await new Promise((resolve) => older.close(resolve));
    }
  });
});
