import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { startFakeLlmServer, type FakeLlmServer } from './support/fake-llm-server.js';
import { countTokens, promptTokens, type FakeChatBody } from './support/fake-llm-replies.js';
import { adminApiCalls } from './support/admin-api-calls.js';
import { startGateway, type RunningGateway } from './support/start-gateway.js';

const TOKEN = 'admin-token-for-redis-tests-0123';
const { get, chat } = adminApiCalls(TOKEN);

describe('/admin/api on Redis', () => {
  const prefix = `wag-test-admin-${randomBytes(4).toString('hex')}:`;
  let llm: FakeLlmServer;
  let gw: RunningGateway;
  const spent = { chats: 0, tokensIn: 0, tokensOut: 0 };

  before(async () => {
    llm = await startFakeLlmServer({ apiKey: 'test-key' });
    gw = await startGateway({ llm, store: { redisPrefix: prefix }, env: { ADMIN_TOKEN: TOKEN, USER_CHATS_PER_MINUTE: '0' } });
    for (const [openid, query] of [
      ['r_a', '怎么申请退货？'],
      ['r_b', '发票可以开增值税专用发票吗'],
      ['r_a', '退货运费谁出'],
      ['r_c', '配送到新疆需要几天'],
    ] as const) {
      const answer = await chat(gw, openid, query);
      assert.equal(answer.status, 200);
      spent.chats++;
      spent.tokensIn += promptTokens(llm.requests.at(-1)!.body as FakeChatBody);
      spent.tokensOut += countTokens(answer.body.data.msg);
    }
  });
  after(async () => {
    await gw.stop();
    await llm.close();
    const redis = new Redis({ host: '127.0.0.1', port: 6379 });
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('needs the token', async () => {
    const res = await get(gw, '/admin/api/conversations', {});
    assert.equal(res.status, 401);
    assert.equal(res.body.data.reason, 'admin_unauthorized');
  });

  it('lists newest first, by openid, pages without duplicates or gaps', async () => {
    const all = await get(gw, '/admin/api/conversations');
    assert.deepEqual(all.body.data.items.map((i: any) => i.openid), ['r_c', 'r_a', 'r_b']);
    assert.equal(all.body.data.items[1].message_count, 4);
    assert.equal(all.body.data.items[1].title, '怎么申请退货？');
    const mine = await get(gw, '/admin/api/conversations?openid=r_a');
    assert.deepEqual(mine.body.data.items.map((i: any) => i.openid), ['r_a']);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await get(gw, `/admin/api/conversations?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.body.data.items.map((i: any) => i.conversation_id));
      cursor = page.body.data.next_cursor;
    } while (cursor && seen.length < 10);
    assert.deepEqual(seen, all.body.data.items.map((i: any) => i.conversation_id));
    const future = await get(gw, `/admin/api/conversations?from=${Date.now() + 60_000}`);
    assert.deepEqual(future.body.data.items, []);
  });

  it('searches the newest conversations by a Chinese word and says how far it looked', async () => {
    const res = await get(gw, `/admin/api/conversations?q=${encodeURIComponent('增值税')}`);
    assert.deepEqual(res.body.data.items.map((i: any) => i.openid), ['r_b']);
    assert.match(res.body.data.items[0].snippet, /增值税/);
    assert.equal(res.body.data.truncated, false);
    const byAnswer = await get(gw, `/admin/api/conversations?q=${encodeURIComponent('收到 运费')}`);
    assert.deepEqual(byAnswer.body.data.items.map((i: any) => i.openid), ['r_a']);
  });

  it('shows a conversation with its ratings, and the rated answers with their questions', async () => {
    const list = await get(gw, '/admin/api/conversations?openid=r_a');
    const id = list.body.data.items[0].conversation_id;
    const detail = await get(gw, `/admin/api/conversations/${id}`);
    const answer = detail.body.data.messages[3];
    assert.equal(answer.content, '收到：退货运费谁出');
    await gw.stores.feedback.rate({ openid: 'r_a', conversationId: id, answerId: answer.id, rating: 'down', comment: '没回答运费' });
    const rated = await get(gw, `/admin/api/conversations/${id}`);
    assert.deepEqual({ ...rated.body.data.messages[3].rating, rated_at: 0 }, { rating: 'down', comment: '没回答运费', rated_at: 0 });
    const feedback = await get(gw, '/admin/api/feedback?rating=down');
    assert.equal(feedback.body.data.items.length, 1);
    assert.equal(feedback.body.data.items[0].question, '退货运费谁出');
    assert.equal(feedback.body.data.items[0].comment, '没回答运费');
    assert.deepEqual((await get(gw, '/admin/api/feedback?rating=up')).body.data.items, []);
    assert.equal((await get(gw, '/admin/api/conversations/nope')).status, 404);
  });

  it('counts usage and exports every message', async () => {
    const usage = await get(gw, '/admin/api/usage');
    assert.deepEqual(usage.body.data.totals, { chats: spent.chats, tokens_in: spent.tokensIn, tokens_out: spent.tokensOut, errors: 0, blocked: 0 });
    assert.equal(usage.body.data.truncated, undefined);
    const exported = await get(gw, '/admin/api/export');
    const lines = exported.text.trim().split('\n').map((line) => JSON.parse(line));
    assert.equal(lines.length, 8);
    assert.ok(lines.some((l) => l.rating?.comment === '没回答运费'));
  });
});
