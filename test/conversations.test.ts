import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FakeLlmServer } from './support/fake-llm-server.js';
import { startGatewayOnStore } from './support/gateway-on-store.js';
import { startGateway, type RunningGateway } from './support/start-gateway.js';
import { storeKinds } from './support/store-kinds.js';
import { WsTestClient, type Frame } from './support/ws-test-client.js';

let nextRequest = 1;

/** Asks on `client` with a request_id (an extended client) and returns the final chat_response. */
async function ask(client: WsTestClient, query: string, extra: Record<string, unknown> = {}): Promise<Frame> {
  const request_id = `q-${nextRequest++}`;
  client.send({ type: 'chat', query, request_id, ...extra });
  const response = await client.nextOf('chat_response', 10_000);
  assert.equal(response.request_id, request_id);
  return response;
}

/** Sends `message` with a fresh request_id and returns the next frame answering it. */
async function request(client: WsTestClient, message: Record<string, unknown>): Promise<Frame> {
  const request_id = `r-${nextRequest++}`;
  client.send({ ...message, request_id });
  for (;;) {
    const frame = await client.next();
    if (frame.request_id === request_id) return frame;
  }
}

const notFound = (frame: Frame) => {
  assert.equal(frame.type, 'error');
  assert.equal(frame.code, 404);
  assert.equal(frame.data.reason, 'conversation_not_found');
  assert.equal(frame.message, '找不到这个对话，它可能已被删除');
};

for (const kind of storeKinds()) {
  describe(`WebSocket: several conversations per user (${kind.label})`, () => {
    let llm: FakeLlmServer;
    let gw: RunningGateway;
    let stop: () => Promise<void>;

    before(async () => ({ llm, gw, stop } = await startGatewayOnStore(kind, { apiKey: 'test-key', deltaChars: 2, deltaLatencyMs: 1 })));
    after(() => stop?.());

    it('lists conversations newest first, page by page; clear starts a new one and lists the old one', async () => {
      const { client } = await WsTestClient.loggedIn(gw.wsUrl, `list_${kind.label}`);
      const empty = await request(client, { type: 'conversations' });
      assert.deepEqual(empty, { type: 'conversations_response', code: 0, message: '成功', data: { conversations: [] }, request_id: empty.request_id });

      const ids: string[] = [];
      for (const query of ['第一个对话', '第二个对话', '第三个对话']) {
        const answer = await ask(client, query);
        assert.equal(typeof answer.data.conversation_id, 'string');
        ids.push(answer.data.conversation_id as string);
        const cleared = await request(client, { type: 'clear' });
        assert.deepEqual([cleared.type, cleared.code, cleared.data], ['clear_response', 0, null], 'clear replies as before');
      }
      assert.equal(new Set(ids).size, 3, 'each clear started a new conversation');

      const first = await request(client, { type: 'conversations', limit: 2 });
      assert.equal(first.type, 'conversations_response');
      const page1 = first.data.conversations as Array<Record<string, unknown>>;
      assert.deepEqual(page1.map((c) => c.conversation_id), [ids[2], ids[1]], 'newest first');
      assert.deepEqual(Object.keys(page1[0]!).sort(), ['conversation_id', 'message_count', 'title', 'updated_at']);
      assert.deepEqual([page1[0]!.title, page1[0]!.message_count], ['第三个对话', 2]);
      assert.ok((page1[0]!.updated_at as number) >= (page1[1]!.updated_at as number));
      assert.equal(typeof first.data.next_cursor, 'string', 'more to come');

      const second = await request(client, { type: 'conversations', limit: 2, before: first.data.next_cursor });
      assert.deepEqual(second.data.conversations.map((c: { conversation_id: string }) => c.conversation_id), [ids[0]]);
      assert.equal('next_cursor' in second.data, false, 'last page');
      await client.close();
    });

    it('history reads a named conversation; chat continues it with its turns and makes it current', async () => {
      const { client } = await WsTestClient.loggedIn(gw.wsUrl, `continue_${kind.label}`);
      const old = (await ask(client, '旧对话的问题')).data.conversation_id as string;
      await request(client, { type: 'clear' });
      const newer = (await ask(client, '新对话的问题')).data.conversation_id as string;

      const read = await request(client, { type: 'history', conversation_id: old });
      assert.equal(read.type, 'history_response');
      assert.equal(read.data.conversation_id, old);
      assert.deepEqual(read.data.messages.map((m: { content: string }) => m.content), ['旧对话的问题', '收到：旧对话的问题']);
      const current = await request(client, { type: 'history' });
      assert.equal(current.data.conversation_id, newer, 'reading another conversation does not switch');

      const before = llm.requests.length;
      const answer = await ask(client, '接着旧的说', { conversation_id: old });
      assert.equal(answer.code, 0);
      assert.equal(answer.data.conversation_id, old);
      const sent = llm.requests[before]!.body as { messages: Array<{ role: string; content: string }> };
      assert.deepEqual(
        sent.messages.slice(1).map((m) => m.content),
        ['旧对话的问题', '收到：旧对话的问题', '接着旧的说'],
        'the prompt has the old conversation, not the newer one',
      );
      const now = await request(client, { type: 'history' });
      assert.equal(now.data.conversation_id, old, 'the continued conversation is the current one');
      assert.equal(now.data.messages.length, 4);
      assert.deepEqual(now.data.messages.map((m: { role: string }) => m.role), ['user', 'assistant', 'user', 'assistant']);
      const listed = await request(client, { type: 'conversations' });
      assert.deepEqual(listed.data.conversations.map((c: { conversation_id: string }) => c.conversation_id), [old, newer]);

      // a seed client on the same user: the same answer fields as ever
      const seed = await WsTestClient.loggedIn(gw.wsUrl, `continue_${kind.label}`);
      seed.client.send({ type: 'chat', query: '老客户端' });
      assert.deepEqual((await seed.client.next()).data, null);
      assert.deepEqual(Object.keys((await seed.client.nextOf('chat_response')).data).sort(), ['id', 'msg', 'session_id']);
      await Promise.all([client.close(), seed.client.close()]);
    });

    it('an unknown or another user\'s conversation id: 404 conversation_not_found, nothing stored, no model call', async () => {
      const owner = await WsTestClient.loggedIn(gw.wsUrl, `owner_${kind.label}`);
      const theirs = (await ask(owner.client, '我的私事')).data.conversation_id as string;
      const stranger = await WsTestClient.loggedIn(gw.wsUrl, `stranger_${kind.label}`);
      const calls = llm.requests.length;

      for (const id of [theirs, 'no-such-conversation']) {
        const refused = await request(stranger.client, { type: 'chat', query: '偷看', conversation_id: id });
        notFound(refused);
        notFound(await request(stranger.client, { type: 'history', conversation_id: id }));
        notFound(await request(stranger.client, { type: 'delete_conversation', conversation_id: id }));
      }
      assert.equal(llm.requests.length, calls, 'the model was not asked');
      assert.deepEqual((await request(stranger.client, { type: 'history' })).data.messages, [], 'nothing stored for the stranger');
      assert.deepEqual((await request(stranger.client, { type: 'conversations' })).data.conversations, []);
      const intact = await request(owner.client, { type: 'history', conversation_id: theirs });
      assert.deepEqual(intact.data.messages.map((m: { content: string }) => m.content), ['我的私事', '收到：我的私事'], 'the owner\'s conversation untouched');
      // the stranger can still ask in their own conversation: the refusal left no answer in flight
      assert.equal((await ask(stranger.client, '正常提问')).code, 0);
      await Promise.all([owner.client.close(), stranger.client.close()]);
    });

    it('refuses malformed requests with a Chinese message naming the field, and anything before login', async () => {
      const anonymous = await WsTestClient.connect(gw.wsUrl);
      await anonymous.nextOf('connected');
      for (const message of [
        { type: 'conversations' },
        { type: 'delete_conversation', conversation_id: 'x' },
        { type: 'feedback', id: 'x', rating: 'up' },
        { type: 'chat', query: '你好', conversation_id: 'x' },
        { type: 'history', conversation_id: 'x' },
      ]) {
        const refused = await request(anonymous, message);
        assert.deepEqual([refused.type, refused.code, refused.data.reason, refused.message], ['error', 401, 'not_logged_in', '请先登录'], message.type);
      }
      await anonymous.close();

      const { client } = await WsTestClient.loggedIn(gw.wsUrl, `bad_${kind.label}`);
      const cases: Array<[Record<string, unknown>, RegExp]> = [
        [{ type: 'conversations', limit: 0 }, /^字段 limit 无效：不能小于 1$/],
        [{ type: 'conversations', limit: 101 }, /^字段 limit 无效：不能大于 100$/],
        [{ type: 'conversations', limit: '10' }, /^字段 limit 无效：应为数字$/],
        [{ type: 'conversations', before: 7 }, /^字段 before 无效：应为字符串$/],
        [{ type: 'conversations', before: 'c'.repeat(257) }, /^字段 before 无效：最多 256 个字符$/],
        [{ type: 'delete_conversation' }, /^字段 conversation_id 无效：缺少这个字段$/],
        [{ type: 'delete_conversation', conversation_id: '' }, /^字段 conversation_id 无效：至少 1 个字符$/],
        [{ type: 'delete_conversation', conversation_id: ['a'] }, /^字段 conversation_id 无效：应为字符串$/],
        [{ type: 'chat', query: '你好', conversation_id: 42 }, /^字段 conversation_id 无效：应为字符串$/],
        [{ type: 'history', conversation_id: 'x'.repeat(129) }, /^字段 conversation_id 无效：最多 128 个字符$/],
      ];
      const calls = llm.requests.length;
      for (const [message, text] of cases) {
        const refused = await request(client, message);
        assert.deepEqual([refused.type, refused.code, refused.data.reason], ['error', 400, 'bad_message'], JSON.stringify(message));
        assert.match(refused.message, text);
      }
      assert.equal(llm.requests.length, calls);
      assert.deepEqual((await request(client, { type: 'conversations' })).data.conversations, [], 'nothing was stored');
      // a cursor the server never gave reads as the end of the list, not as a server error
      const forged = await request(client, { type: 'conversations', before: 'not-a-cursor' });
      assert.deepEqual([forged.type, forged.data.conversations], ['conversations_response', []]);
      await client.close();
    });

    it('delete_conversation deletes it for good; with an answer in flight there, cancels that answer first', async () => {
      const { client } = await WsTestClient.loggedIn(gw.wsUrl, `delete_${kind.label}`);
      const kept = (await ask(client, '留着这个')).data.conversation_id as string;
      await request(client, { type: 'clear' });
      const doomedAnswer = await ask(client, '删掉这个');
      const doomed = doomedAnswer.data.conversation_id as string;

      const deleted = await request(client, { type: 'delete_conversation', conversation_id: doomed });
      assert.deepEqual(deleted, { type: 'delete_conversation_response', code: 0, message: '已删除对话', data: { conversation_id: doomed }, request_id: deleted.request_id });
      notFound(await request(client, { type: 'history', conversation_id: doomed }));
      notFound(await request(client, { type: 'delete_conversation', conversation_id: doomed }));
      const resumed = await request(client, { type: 'resume', id: doomedAnswer.data.id });
      assert.deepEqual([resumed.type, resumed.data.reason], ['error', 'answer_not_found'], 'its answers went with it (the Redis registry\'s copy too)');
      assert.deepEqual((await request(client, { type: 'conversations' })).data.conversations.map((c: { conversation_id: string }) => c.conversation_id), [kept]);
      const fresh = await request(client, { type: 'history' });
      assert.notEqual(fresh.data.conversation_id, doomed, 'the deleted current conversation is replaced by a new one');
      assert.deepEqual(fresh.data.messages, []);

      llm.setReply(() => '很长的回答，'.repeat(1000));
      try {
        const inFlight = fresh.data.conversation_id as string;
        client.send({ type: 'chat', query: '说个没完', stream: true, request_id: 'long' });
        const processing = await client.nextOf('chat_processing');
        await client.nextOf('chat_delta');
        client.send({ type: 'delete_conversation', conversation_id: inFlight, request_id: 'del' });
        const response = await client.nextOf('chat_response');
        assert.equal(response.request_id, 'long');
        assert.equal(response.data.status, 'cancelled', 'the answer stopped before its conversation went');
        assert.equal(response.data.id, processing.data.id);
        const gone = await client.nextOf('delete_conversation_response');
        assert.deepEqual([gone.request_id, gone.data.conversation_id], ['del', inFlight]);
        notFound(await request(client, { type: 'history', conversation_id: inFlight }));
      } finally {
        llm.setReply((body) => `收到：${body.messages.at(-1)?.content}`);
      }
      assert.equal((await ask(client, '删完还能问')).code, 0);
      await client.close();
    });

    it('deleting another conversation leaves the answer in flight alone', async () => {
      const { client } = await WsTestClient.loggedIn(gw.wsUrl, `delete_other_${kind.label}`);
      const older = (await ask(client, '旧的')).data.conversation_id as string;
      await request(client, { type: 'clear' });
      llm.setReply(() => '不受影响的回答。'.repeat(100));
      try {
        client.send({ type: 'chat', query: '新的', stream: true, request_id: 'keep-going' });
        await client.nextOf('chat_delta');
        client.send({ type: 'delete_conversation', conversation_id: older, request_id: 'del-older' });
        // both replies, in whichever order they come
        const seen = new Map<string, Frame>();
        while (seen.size < 2) {
          const frame = await client.next(10_000);
          if (frame.type === 'delete_conversation_response' || frame.type === 'chat_response') seen.set(frame.type, frame);
        }
        assert.equal(seen.get('delete_conversation_response')!.data.conversation_id, older);
        const answer = seen.get('chat_response')!;
        assert.deepEqual([answer.data.status, answer.data.msg], ['complete', '不受影响的回答。'.repeat(100)]);
        assert.notEqual(answer.data.conversation_id, older);
      } finally {
        llm.setReply((body) => `收到：${body.messages.at(-1)?.content}`);
      }
      await client.close();
    });

    it('deleting on another instance cancels the answer its owner generates there first', { skip: kind.label !== 'Redis' && 'one instance per SQLite file' }, async () => {
      const other = await startGateway({ llm, store: kind.store });
      llm.setReply(() => '很长的回答，'.repeat(1000));
      try {
        const { client, login } = await WsTestClient.loggedIn(gw.wsUrl, 'cross_instance');
        const conversation = (await request(client, { type: 'history' })).data.conversation_id as string;
        client.send({ type: 'chat', query: '在 A 上问', stream: true, request_id: 'cross' });
        await client.nextOf('chat_delta');
        const b = await WsTestClient.connect(other.wsUrl);
        await b.nextOf('connected');
        b.send({ type: 'login', session_id: login.data.session_id });
        await b.nextOf('login_response');
        const deleted = await request(b, { type: 'delete_conversation', conversation_id: conversation });
        assert.deepEqual([deleted.type, deleted.data.conversation_id], ['delete_conversation_response', conversation]);
        const onA = await client.nextOf('chat_response', 10_000);
        assert.equal(onA.data.status, 'cancelled', 'the owner stopped generating');
        notFound(await request(client, { type: 'history', conversation_id: conversation }));
        await Promise.all([client.close(), b.close()]);
      } finally {
        llm.setReply((body) => `收到：${body.messages.at(-1)?.content}`);
        await other.stop();
      }
    });

    it('the answer lands in its question\'s conversation even when another device starts a new one meanwhile', async () => {
      llm.setReply(() => '慢慢说完。'.repeat(400));
      try {
        const phone = await WsTestClient.loggedIn(gw.wsUrl, `twodevices_${kind.label}`);
        const tablet = await WsTestClient.loggedIn(gw.wsUrl, `twodevices_${kind.label}`);
        const asked = (await request(phone.client, { type: 'history' })).data.conversation_id as string;
        phone.client.send({ type: 'chat', query: '问题在这里', stream: true, request_id: 'slow' });
        await phone.client.nextOf('chat_delta');
        assert.equal((await request(tablet.client, { type: 'clear' })).type, 'clear_response');
        const answer = await phone.client.nextOf('chat_response', 15_000);
        assert.deepEqual([answer.data.status, answer.data.conversation_id], ['complete', asked]);
        const there = await request(tablet.client, { type: 'history', conversation_id: asked });
        assert.deepEqual(there.data.messages.map((m: { role: string; status: string }) => [m.role, m.status]), [['user', 'complete'], ['assistant', 'complete']]);
        const current = await request(tablet.client, { type: 'history' });
        assert.notEqual(current.data.conversation_id, asked);
        assert.deepEqual(current.data.messages, [], 'nothing leaked into the new conversation');
        await Promise.all([phone.client.close(), tablet.client.close()]);
      } finally {
        llm.setReply((body) => `收到：${body.messages.at(-1)?.content}`);
      }
    });

    it('resume finds a finished answer of an older conversation (a new session, after a clear)', async () => {
      const first = await WsTestClient.loggedIn(gw.wsUrl, `resume_${kind.label}`);
      const answer = await ask(first.client, '早先的问题');
      await request(first.client, { type: 'clear' });
      await ask(first.client, '后来的问题');
      await first.client.close();
      // a new login: another session, whose answer registry knows nothing of the old answer
      const { client } = await WsTestClient.loggedIn(gw.wsUrl, `resume_${kind.label}`);
      const resumed = await request(client, { type: 'resume', id: answer.data.id });
      assert.equal(resumed.type, 'chat_response');
      assert.deepEqual([resumed.data.msg, resumed.data.id, resumed.data.conversation_id], ['收到：早先的问题', answer.data.id, answer.data.conversation_id]);
      const stranger = await WsTestClient.loggedIn(gw.wsUrl, `resume_stranger_${kind.label}`);
      const refused = await request(stranger.client, { type: 'resume', id: answer.data.id });
      assert.deepEqual([refused.type, refused.code, refused.data.reason], ['error', 404, 'answer_not_found']);
      await Promise.all([client.close(), stranger.client.close()]);
    });
  });
}
