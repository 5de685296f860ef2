import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FakeLlmServer } from './support/fake-llm-server.js';
import { startGatewayOnStore } from './support/gateway-on-store.js';
import type { RunningGateway } from './support/start-gateway.js';
import { storeKinds } from './support/store-kinds.js';

interface Reply {
  status: number;
  body: any;
}

async function call(method: string, url: string, options: { session?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.session) headers.authorization = `Bearer ${options.session}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(url, { method, headers, body: options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body) });
  return { status: response.status, body: await response.json() };
}

const refused = (reply: Reply, status: number, reason: string) => {
  assert.equal(reply.status, status, JSON.stringify(reply.body));
  assert.deepEqual([reply.body.code, reply.body.data.reason], [status, reason]);
  assert.equal('type' in reply.body, false, 'HTTP bodies have no type');
};

for (const kind of storeKinds()) {
  describe(`HTTP: conversations, history and feedback routes (${kind.label})`, () => {
    let llm: FakeLlmServer;
    let gw: RunningGateway;
    let stop: () => Promise<void>;

    before(async () => ({ llm, gw, stop } = await startGatewayOnStore(kind)));
    after(() => stop?.());

    const login = async (code: string): Promise<string> =>
      (await call('POST', `${gw.url}/wechat/login`, { body: { code } })).body.data.session_id as string;
    const chat = (session: string, body: Record<string, unknown>) => call('POST', `${gw.url}/wechat/chat`, { session, body });

    it('POST /wechat/chat continues a named conversation; GET /wechat/conversations and /wechat/history read them', async () => {
      const session = await login(`http_conv_${kind.label}`);
      const seedReply = await chat(session, { query: '第一段' });
      assert.deepEqual(Object.keys(seedReply.body.data).sort(), ['id', 'msg', 'session_id'], 'the seed\'s body, unchanged');
      const listed = await call('GET', `${gw.url}/wechat/conversations`, { session });
      assert.equal(listed.status, 200);
      assert.deepEqual([listed.body.code, listed.body.message], [0, '成功']);
      const [first] = listed.body.data.conversations;
      assert.deepEqual([first.title, first.message_count], ['第一段', 2]);

      // a new conversation: HTTP has no `clear` (the WebSocket's), so the store starts it as `clear` does
      await gw.stores.history.clear(await openidOf(session));
      const continued = await chat(session, { query: '接着第一段', conversation_id: first.conversation_id });
      assert.equal(continued.status, 200);
      assert.equal(continued.body.data.conversation_id, first.conversation_id, 'a caller that named a conversation is told it');
      assert.equal(continued.body.data.msg, '收到：接着第一段');

      const history = await call('GET', `${gw.url}/wechat/history?conversation_id=${encodeURIComponent(first.conversation_id)}&limit=3`, { session });
      assert.equal(history.status, 200);
      assert.equal(history.body.data.conversation_id, first.conversation_id);
      assert.deepEqual(history.body.data.messages.map((m: { content: string }) => m.content), ['收到：第一段', '接着第一段', '收到：接着第一段'], 'the last 3, oldest first');
      const current = await call('GET', `${gw.url}/wechat/history`, { session });
      assert.equal(current.body.data.conversation_id, first.conversation_id, 'continuing made it current');

      const paged = await call('GET', `${gw.url}/wechat/conversations?limit=1`, { session });
      assert.equal(paged.body.data.conversations.length, 1);
    });

    it('DELETE /wechat/conversations/:id deletes (also with wx.request\'s empty JSON body); then 404', async () => {
      const session = await login(`http_delete_${kind.label}`);
      const asked = await chat(session, { query: '删掉我', request_id: 'd1' });
      const id = (await call('GET', `${gw.url}/wechat/history`, { session })).body.data.conversation_id as string;
      assert.ok(asked.body.data.id);
      const deleted = await call('DELETE', `${gw.url}/wechat/conversations/${encodeURIComponent(id)}`, { session, headers: { 'content-type': 'application/json' } });
      assert.equal(deleted.status, 200);
      assert.deepEqual(deleted.body, { code: 0, message: '已删除对话', data: { conversation_id: id } });
      refused(await call('DELETE', `${gw.url}/wechat/conversations/${encodeURIComponent(id)}`, { session }), 404, 'conversation_not_found');
      refused(await call('GET', `${gw.url}/wechat/history?conversation_id=${encodeURIComponent(id)}`, { session }), 404, 'conversation_not_found');
      refused(await chat(session, { query: '还在吗', conversation_id: id }), 404, 'conversation_not_found');
      assert.deepEqual((await call('GET', `${gw.url}/wechat/conversations`, { session })).body.data.conversations, []);
    });

    it('POST /wechat/feedback rates an answer; history carries the rating', async () => {
      const session = await login(`http_feedback_${kind.label}`);
      const answer = await chat(session, { query: '给我打分' });
      const id = answer.body.data.id as string;
      const rated = await call('POST', `${gw.url}/wechat/feedback`, { session, body: { id, rating: 'down', comment: '太短' } });
      assert.equal(rated.status, 200);
      assert.deepEqual(rated.body, { code: 0, message: '感谢你的反馈', data: { id, rating: 'down' } });
      const history = await call('GET', `${gw.url}/wechat/history`, { session });
      assert.equal(history.body.data.messages[1].rating, 'down');
      const questionId = history.body.data.messages[0].id as string;
      refused(await call('POST', `${gw.url}/wechat/feedback`, { session, body: { id: questionId, rating: 'up' } }), 404, 'answer_not_found');
    });

    it('hostile input: wrong types, oversized comment, unknown or foreign ids, no or a bad session', async () => {
      const owner = await login(`http_owner_${kind.label}`);
      const answer = await chat(owner, { query: '我的' });
      const ownersConversation = (await call('GET', `${gw.url}/wechat/history`, { session: owner })).body.data.conversation_id as string;
      const stranger = await login(`http_stranger_${kind.label}`);
      const calls = llm.requests.length;

      refused(await call('GET', `${gw.url}/wechat/conversations?limit=abc`, { session: owner }), 400, 'bad_message');
      const zero = await call('GET', `${gw.url}/wechat/conversations?limit=0`, { session: owner });
      refused(zero, 400, 'bad_message');
      assert.equal(zero.body.message, '字段 limit 无效：不能小于 1');
      refused(await call('GET', `${gw.url}/wechat/history?limit=201`, { session: owner }), 400, 'bad_message');
      refused(await call('GET', `${gw.url}/wechat/history?conversation_id=${'x'.repeat(129)}`, { session: owner }), 400, 'bad_message');
      refused(await call('POST', `${gw.url}/wechat/feedback`, { session: owner, body: { id: answer.body.data.id, rating: 'great' } }), 400, 'bad_message');
      const long = await call('POST', `${gw.url}/wechat/feedback`, { session: owner, body: { id: answer.body.data.id, rating: 'up', comment: 'x'.repeat(501) } });
      refused(long, 400, 'bad_message');
      assert.equal(long.body.message, '字段 comment 无效：最多 500 个字符');
      refused(await call('POST', `${gw.url}/wechat/feedback`, { session: owner, body: '{"id": ' }), 400, 'bad_json');
      refused(await call('POST', `${gw.url}/wechat/feedback`, { session: owner, body: '' }), 400, 'bad_message');
      refused(await chat(owner, { query: '类型不对', conversation_id: 7 }), 400, 'bad_message');

      // another user's ids read exactly like unknown ones
      refused(await call('GET', `${gw.url}/wechat/history?conversation_id=${encodeURIComponent(ownersConversation)}`, { session: stranger }), 404, 'conversation_not_found');
      refused(await call('DELETE', `${gw.url}/wechat/conversations/${encodeURIComponent(ownersConversation)}`, { session: stranger }), 404, 'conversation_not_found');
      refused(await call('POST', `${gw.url}/wechat/feedback`, { session: stranger, body: { id: answer.body.data.id, rating: 'up' } }), 404, 'answer_not_found');
      refused(await chat(stranger, { query: '偷看', conversation_id: ownersConversation }), 404, 'conversation_not_found');
      assert.equal(llm.requests.length, calls, 'no model call for any refused request');
      assert.equal((await call('GET', `${gw.url}/wechat/history`, { session: owner })).body.data.messages.length, 2, 'the owner\'s conversation is intact');

      for (const [method, path] of [['GET', '/wechat/conversations'], ['GET', '/wechat/history'], ['DELETE', `/wechat/conversations/${ownersConversation}`]] as const) {
        refused(await call(method, `${gw.url}${path}`), 401, 'not_logged_in');
        refused(await call(method, `${gw.url}${path}`, { session: 'forged' }), 401, 'session_expired');
      }
      refused(await call('POST', `${gw.url}/wechat/feedback`, { body: { id: answer.body.data.id, rating: 'up' } }), 401, 'not_logged_in');
      // a session_id in the query string is not a credential (URLs reach access logs)
      refused(await call('GET', `${gw.url}/wechat/conversations?session_id=${owner}`), 401, 'not_logged_in');
    });

    it('honours the seed\'s bare openid outside production, as POST /wechat/chat does', async () => {
      const asked = await chat('', { query: '裸 openid', openid: `bare_${kind.label}` });
      assert.equal(asked.status, 200);
      const listed = await call('GET', `${gw.url}/wechat/conversations?openid=bare_${kind.label}`);
      assert.equal(listed.status, 200);
      assert.equal(listed.body.data.conversations[0].title, '裸 openid');
    });

    async function openidOf(session: string): Promise<string> {
      return (await gw.app.sessions.authenticate(session)).openid;
    }
  });
}
