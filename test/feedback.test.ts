import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startGatewayOnStore } from './support/gateway-on-store.js';
import type { RunningGateway } from './support/start-gateway.js';
import { storeKinds } from './support/store-kinds.js';
import { WsTestClient, type Frame } from './support/ws-test-client.js';

let nextRequest = 1;

/** Sends `message` with a fresh request_id and returns the next frame answering it. */
async function request(client: WsTestClient, message: Record<string, unknown>): Promise<Frame> {
  const request_id = `f-${nextRequest++}`;
  client.send({ ...message, request_id });
  for (;;) {
    const frame = await client.next(10_000);
    if (frame.request_id === request_id && frame.type !== 'chat_processing') return frame;
  }
}

for (const kind of storeKinds()) {
  describe(`WebSocket: feedback on answers (${kind.label})`, () => {
    let gw: RunningGateway;
    let stop: () => Promise<void>;

    before(async () => ({ gw, stop } = await startGatewayOnStore(kind)));
    after(() => stop?.());

    it('rates an answer, changes the rating, and history shows the latest one', async () => {
      const { client, login } = await WsTestClient.loggedIn(gw.wsUrl, `rate_${kind.label}`);
      const answer = await request(client, { type: 'chat', query: '评价我' });
      const id = answer.data.id as string;

      const up = await request(client, { type: 'feedback', id, rating: 'up' });
      assert.deepEqual(up, { type: 'feedback_response', code: 0, message: '感谢你的反馈', data: { id, rating: 'up' }, request_id: up.request_id });
      let history = await request(client, { type: 'history' });
      const [question, rated] = history.data.messages as Array<Record<string, unknown>>;
      assert.equal('rating' in question!, false, 'questions carry no rating');
      assert.equal(rated!.rating, 'up');

      const down = await request(client, { type: 'feedback', id, rating: 'down', comment: '  答非所问  ' });
      assert.deepEqual(down.data, { id, rating: 'down' });
      history = await request(client, { type: 'history' });
      assert.equal(history.data.messages[1].rating, 'down', 'one rating per answer: the latest wins');
      const stored = await gw.stores.feedback.ratingsOf(login.data.openid, [id]);
      assert.equal(stored.size, 1);
      assert.deepEqual([stored.get(id)!.rating, stored.get(id)!.comment, stored.get(id)!.conversationId], ['down', '答非所问', history.data.conversation_id]);

      // a later rating without a comment clears it
      await request(client, { type: 'feedback', id, rating: 'up' });
      assert.equal((await gw.stores.feedback.ratingsOf(login.data.openid, [id])).get(id)!.comment, undefined);
      await client.close();
    });

    it('rates an answer of an older conversation; deleting that conversation forgets the rating', async () => {
      const { client, login } = await WsTestClient.loggedIn(gw.wsUrl, `older_${kind.label}`);
      const answer = await request(client, { type: 'chat', query: '旧的回答', request_id: 'x' });
      const id = answer.data.id as string;
      await request(client, { type: 'clear' });
      await request(client, { type: 'chat', query: '新的问题' });
      assert.deepEqual((await request(client, { type: 'feedback', id, rating: 'down', comment: '不对' })).data, { id, rating: 'down' });
      const old = await request(client, { type: 'history', conversation_id: answer.data.conversation_id });
      assert.equal(old.data.messages[1].rating, 'down');

      await request(client, { type: 'delete_conversation', conversation_id: answer.data.conversation_id });
      assert.equal((await gw.stores.feedback.ratingsOf(login.data.openid, [id])).size, 0, 'the rating went with its conversation');
      const gone = await request(client, { type: 'feedback', id, rating: 'up' });
      assert.deepEqual([gone.type, gone.code, gone.data.reason], ['error', 404, 'answer_not_found']);
      await client.close();
    });

    it('a question, an unknown id or another user\'s answer: 404 answer_not_found, nothing recorded', async () => {
      const owner = await WsTestClient.loggedIn(gw.wsUrl, `fb_owner_${kind.label}`);
      const answer = await request(owner.client, { type: 'chat', query: '我的回答' });
      const history = await request(owner.client, { type: 'history' });
      const questionId = history.data.messages[0].id as string;
      const stranger = await WsTestClient.loggedIn(gw.wsUrl, `fb_stranger_${kind.label}`);

      for (const [client, id] of [[owner.client, questionId], [owner.client, 'no-such-answer'], [stranger.client, answer.data.id]] as const) {
        const refused = await request(client, { type: 'feedback', id, rating: 'up' });
        assert.deepEqual(refused, { type: 'error', code: 404, message: '找不到这条回答', data: { reason: 'answer_not_found' }, request_id: refused.request_id });
      }
      assert.equal((await gw.stores.feedback.ratingsOf(owner.login.data.openid, [answer.data.id, questionId])).size, 0);
      assert.equal((await gw.stores.feedback.ratingsOf(stranger.login.data.openid, [answer.data.id])).size, 0);
      await Promise.all([owner.client.close(), stranger.client.close()]);
    });

    it('validates rating, comment and id (Chinese messages naming the field); 500 characters is the limit', async () => {
      const { client, login } = await WsTestClient.loggedIn(gw.wsUrl, `fb_bad_${kind.label}`);
      const id = (await request(client, { type: 'chat', query: '校验' })).data.id as string;
      const cases: Array<[Record<string, unknown>, RegExp]> = [
        [{ id, rating: 'meh' }, /^字段 rating 无效：取值无效，可选："up"、"down"$/],
        [{ id, rating: 1 }, /^字段 rating 无效：/],
        [{ id }, /^字段 rating 无效：缺少这个字段$/],
        [{ rating: 'up' }, /^字段 id 无效：缺少这个字段$/],
        [{ id: 5, rating: 'up' }, /^字段 id 无效：应为字符串$/],
        [{ id: '', rating: 'up' }, /^字段 id 无效：至少 1 个字符$/],
        [{ id, rating: 'up', comment: '长'.repeat(501) }, /^字段 comment 无效：最多 500 个字符$/],
        [{ id, rating: 'up', comment: { text: 'x' } }, /^字段 comment 无效：应为字符串$/],
      ];
      for (const [fields, text] of cases) {
        const refused = await request(client, { type: 'feedback', ...fields });
        assert.deepEqual([refused.type, refused.code, refused.data.reason], ['error', 400, 'bad_message'], JSON.stringify(fields).slice(0, 80));
        assert.match(refused.message, text);
      }
      assert.equal((await gw.stores.feedback.ratingsOf(login.data.openid, [id])).size, 0, 'nothing recorded');
      const longest = await request(client, { type: 'feedback', id, rating: 'up', comment: '长'.repeat(500) });
      assert.equal(longest.type, 'feedback_response');
      assert.equal((await gw.stores.feedback.ratingsOf(login.data.openid, [id])).get(id)!.comment, '长'.repeat(500));
      await client.close();
    });
  });
}
