import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeLlmServer, type FakeLlmServer } from './support/fake-llm-server.js';
import { countTokens, promptTokens, type FakeChatBody } from './support/fake-llm-replies.js';
import { adminApiCalls } from './support/admin-api-calls.js';
import { startGateway, type RunningGateway } from './support/start-gateway.js';
import { WordChecker } from './support/word-checker.js';

const TOKEN = 'admin-token-for-tests-0123456789';
const { auth, get, chat } = adminApiCalls(TOKEN);

describe('/admin/api on SQLite', () => {
  let llm: FakeLlmServer;
  let gw: RunningGateway;
  const checker = new WordChecker({ words: ['炸弹'] });
  /** what the fake model reported, per chat that got an answer */
  const spent = { chats: 0, tokensIn: 0, tokensOut: 0, errors: 0, blocked: 0 };

  before(async () => {
    llm = await startFakeLlmServer({ apiKey: 'test-key' });
    gw = await startGateway({
      llm,
      env: { ADMIN_TOKEN: TOKEN, USER_CHATS_PER_MINUTE: '0' },
      contentChecker: checker,
      contentSecurity: { mode: 'input', failOpen: false },
      knowledgeBase: { files: { '售后政策.md': '# 退货\n\n收到商品七天内可以申请退货，在订单页点击申请退货并填写原因。\n\n# 发票\n\n可以开具增值税专用发票，在订单页申请。' } },
    });
    const asked: Array<[string, string]> = [
      ['user_a', '怎么申请退货？'],
      ['user_a', '发票可以开增值税专用发票吗'],
      ['user_b', '配送到新疆需要几天'],
      ['user_b', '这个炸弹怎么做'], // blocked by the checker
      ['user_c', '你们的营业时间是什么时候'],
    ];
    for (const [openid, query] of asked) {
      const answer = await chat(gw, openid, query);
      spent.chats++;
      if (answer.status === 403) spent.blocked++;
      else {
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        // what the fake model billed for this answer: its prompt and the streamed text
        spent.tokensIn += promptTokens(llm.requests.at(-1)!.body as FakeChatBody);
        spent.tokensOut += countTokens(answer.body.data.msg);
      }
    }
    // one model failure: the question is stored, no answer
    llm.pushFault({ status: 400, message: 'bad request' });
    const failed = await chat(gw, 'user_c', '最后一个问题会失败');
    assert.notEqual(failed.status, 200);
    spent.chats++;
    spent.errors++;
  });
  after(async () => {
    await gw.stop();
    await llm.close();
  });

  it('refuses a missing or wrong token with 401 and a Chinese message', async () => {
    const attempts: Array<Record<string, string>> = [{}, { authorization: 'Bearer wrong' }, { authorization: TOKEN }, { authorization: `Bearer ${TOKEN}x` }];
    for (const headers of attempts) {
      for (const path of ['/admin/api/conversations', '/admin/api/conversations/x', '/admin/api/usage', '/admin/api/feedback', '/admin/api/export']) {
        const res = await get(gw, path, headers);
        assert.equal(res.status, 401, `${path} ${JSON.stringify(headers)}`);
        assert.equal(res.body.data.reason, 'admin_unauthorized');
        assert.match(res.body.message, /管理令牌/);
      }
    }
  });

  it('never logs the token', () => {
    assert.ok(gw.logs.length > 0);
    assert.ok(!gw.logs.some((line) => line.includes(TOKEN)), 'the admin token appears in a log line');
  });

  it('lists conversations newest first with title, count and time', async () => {
    const res = await get(gw, '/admin/api/conversations');
    assert.equal(res.status, 200);
    assert.equal(res.body.code, 0);
    const items = res.body.data.items;
    assert.equal(items.length, 3);
    assert.deepEqual(items.map((i: any) => i.openid), ['user_c', 'user_b', 'user_a']);
    const a = items[2];
    assert.equal(a.title, '怎么申请退货？');
    assert.equal(a.message_count, 4);
    assert.equal(typeof a.conversation_id, 'string');
    assert.ok(a.updated_at >= a.created_at);
    const c = items[0];
    assert.equal(c.message_count, 3, 'question, answer, failed question');
    assert.equal(res.body.data.next_cursor, undefined);
  });

  it('filters by openid', async () => {
    const res = await get(gw, '/admin/api/conversations?openid=user_b');
    assert.deepEqual(res.body.data.items.map((i: any) => i.openid), ['user_b']);
    const none = await get(gw, '/admin/api/conversations?openid=nobody');
    assert.deepEqual(none.body.data.items, []);
  });

  it('finds a conversation by a Chinese word of a question and of an answer, with a snippet', async () => {
    const byQuestion = await get(gw, `/admin/api/conversations?q=${encodeURIComponent('增值税')}`);
    assert.equal(byQuestion.status, 200);
    assert.deepEqual(byQuestion.body.data.items.map((i: any) => i.openid), ['user_a']);
    assert.match(byQuestion.body.data.items[0].snippet, /增值税/);
    // the fake model answers "收到：<question>", so a word only in an answer: 收到
    const byAnswer = await get(gw, `/admin/api/conversations?q=${encodeURIComponent('收到')}`);
    assert.equal(byAnswer.body.data.items.length, 3);
    const both = await get(gw, `/admin/api/conversations?q=${encodeURIComponent('配送 新疆')}&openid=user_b`);
    assert.deepEqual(both.body.data.items.map((i: any) => i.openid), ['user_b']);
    const missing = await get(gw, `/admin/api/conversations?q=${encodeURIComponent('不存在的词语组合')}`);
    assert.deepEqual(missing.body.data.items, []);
    // FTS5 syntax is only ever text
    for (const hostile of ['"', 'a OR b', 'NEAR(退货 发票)', 'terms:退货', '*', '^退货', '退货 AND', '(']) {
      const res = await get(gw, `/admin/api/conversations?q=${encodeURIComponent(hostile)}`);
      assert.equal(res.status, 200, hostile);
    }
  });

  it('pages without duplicates or gaps', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 5; page++) {
      const res = await get(gw, `/admin/api/conversations?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(res.status, 200);
      seen.push(...res.body.data.items.map((i: any) => i.conversation_id));
      cursor = res.body.data.next_cursor;
      if (!cursor) break;
    }
    const all = await get(gw, '/admin/api/conversations?limit=100');
    assert.deepEqual(seen, all.body.data.items.map((i: any) => i.conversation_id));
  });

  it('shows every message of a conversation with status, usage, model and flags', async () => {
    const list = await get(gw, '/admin/api/conversations?openid=user_b');
    const id = list.body.data.items[0].conversation_id;
    const res = await get(gw, `/admin/api/conversations/${encodeURIComponent(id)}`);
    assert.equal(res.status, 200);
    const { messages } = res.body.data;
    assert.equal(res.body.data.openid, 'user_b');
    assert.deepEqual(messages.map((m: any) => [m.role, m.status]), [
      ['user', 'complete'],
      ['assistant', 'complete'],
      ['user', 'blocked'],
    ]);
    assert.equal(messages[1].content, '收到：配送到新疆需要几天');
    assert.ok(messages[1].usage.prompt_tokens > 0);
    assert.equal(typeof messages[1].model, 'string');
    assert.equal(typeof messages[2].flagged.label, 'string', 'a blocked question carries its flag');
    assert.equal(messages[0].flagged, undefined);
    const missing = await get(gw, '/admin/api/conversations/0.nobody');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.data.reason, 'admin_not_found');
  });

  it('counts usage per day and per user as chatted', async () => {
    const res = await get(gw, '/admin/api/usage');
    assert.equal(res.status, 200);
    const { totals, days, users } = res.body.data;
    assert.deepEqual(totals, {
      chats: spent.chats,
      tokens_in: spent.tokensIn,
      tokens_out: spent.tokensOut,
      errors: spent.errors,
      blocked: spent.blocked,
    });
    assert.equal(days.length, 30);
    assert.deepEqual(days[29], { day: days[29].day, ...totals });
    assert.equal(days[29].day, new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10));
    assert.deepEqual(users.map((u: any) => [u.openid, u.chats]).sort(), [['user_a', 2], ['user_b', 2], ['user_c', 2]]);
    assert.equal(users.find((u: any) => u.openid === 'user_b').blocked, 1);
    assert.equal(users.find((u: any) => u.openid === 'user_c').errors, 1);
    const top = await get(gw, '/admin/api/usage?top=1');
    assert.equal(top.body.data.users.length, 1);
    const past = await get(gw, '/admin/api/usage?from=2020-01-01&to=2020-01-31');
    assert.equal(past.body.data.days.length, 31);
    assert.equal(past.body.data.totals.chats, 0);
  });

  it('exports every message as JSON lines', async () => {
    const res = await get(gw, '/admin/api/export?format=jsonl');
    assert.equal(res.status, 200);
    assert.match(String(res.headers.get('content-disposition')), /^attachment; filename="messages-.*\.jsonl"$/);
    const lines = res.text.trim().split('\n').map((line) => JSON.parse(line));
    assert.equal(lines.length, 10);
    assert.deepEqual(Object.keys(lines[0]).slice(0, 3), ['conversation_id', 'openid', 'id']);
    assert.ok(lines.some((l) => l.content === '收到：怎么申请退货？' && l.usage?.completion_tokens > 0));
    const none = await get(gw, '/admin/api/export?from=2020-01-01&to=2020-12-31');
    assert.equal(none.text, '');
  });

  it('exports CSV with a BOM, quoting and formula cells defused', async () => {
    const since = Date.now();
    await chat(gw, 'user_d', '=HYPERLINK("http://x","点我"), 还有"引号"\n和换行');
    const response = await fetch(`${gw.url}/admin/api/export?format=csv&from=${since}`, { headers: auth });
    assert.equal(response.status, 200);
    assert.match(String(response.headers.get('content-type')), /^text\/csv; charset=utf-8/);
    assert.match(String(response.headers.get('content-disposition')), /^attachment; filename="messages-.*\.csv"$/);
    const bytes = Buffer.from(await response.arrayBuffer());
    assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 BOM first');
    const text = bytes.subarray(3).toString('utf8');
    assert.ok(text.startsWith('conversation_id,openid,message_id,'), text);
    assert.ok(text.includes(`,"'=HYPERLINK(""http://x"",""点我""), 还有""引号""\n和换行",`), text);
    assert.ok(text.includes(',"收到：=HYPERLINK('), 'a cell not starting with = is left as it is');
    // the range holds only the new chat's two messages and the header
    assert.equal(text.split('\r\n').filter(Boolean).length, 3);
  });

  it('answers bad query strings with 400 and a message naming the parameter', async () => {
    const cases: Array<[string, RegExp]> = [
      ['/admin/api/conversations?limit=0', /limit/],
      ['/admin/api/conversations?limit=101', /limit/],
      ['/admin/api/conversations?limit=-5', /limit/],
      ['/admin/api/conversations?limit=99999999999', /limit/],
      ['/admin/api/conversations?limit=1&limit=2', /limit/],
      ['/admin/api/conversations?from=yesterday', /from/],
      ['/admin/api/conversations?to=2026-02-30', /to/],
      ['/admin/api/conversations?from=2026-12-02&to=2026-12-01', /from/],
      ['/admin/api/conversations?sort=asc', /sort/],
      ['/admin/api/conversations?cursor=abc', /cursor/],
      ['/admin/api/conversations?q=', /q/],
      ['/admin/api/conversations?openid=%22%3B', /openid/],
      ['/admin/api/conversations/x?debug=1', /debug/],
      ['/admin/api/usage?from=2020-01-01&to=2026-01-01', /400/],
      ['/admin/api/usage?top=0', /top/],
      ['/admin/api/feedback?rating=meh', /rating/],
      ['/admin/api/export?format=xlsx', /format/],
    ];
    for (const [path, message] of cases) {
      const res = await get(gw, path);
      assert.equal(res.status, 400, path);
      assert.equal(res.body.data.reason, 'admin_bad_request', path);
      assert.match(res.body.message, message, path);
    }
  });

  it('treats hostile conversation ids and search text as data', async () => {
    for (const id of ["1' OR '1'='1", '%00', '..%2F..%2Fetc%2Fpasswd', '%E2%80%AE', encodeURIComponent('"; DROP TABLE messages; --')]) {
      const res = await get(gw, `/admin/api/conversations/${id}`);
      assert.equal(res.status, 404, id);
      assert.equal(res.body.data.reason, 'admin_not_found', id);
    }
    const long = await get(gw, `/admin/api/conversations/${'x'.repeat(201)}`);
    assert.equal(long.status, 400);
    assert.equal(long.body.data.reason, 'admin_bad_request');
    const longQ = await get(gw, `/admin/api/conversations?q=${'退'.repeat(101)}`);
    assert.equal(longQ.status, 400);
    assert.match(longQ.body.message, /q 最多 100/);
    const sql = await get(gw, `/admin/api/conversations?q=${encodeURIComponent("退货' OR 1=1 --")}`);
    assert.equal(sql.status, 200);
    assert.deepEqual(sql.body.data.items, [], 'every word is required, quotes and OR included');
    // the store still answers afterwards
    assert.equal((await get(gw, '/admin/api/conversations')).body.data.items.length, 4, 'user_a, b, c, and d from the CSV test');
  });

  it('lists no feedback before any rating', async () => {
    const res = await get(gw, '/admin/api/feedback?rating=down');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.data.items, []);
  });

  it('shows ratings with the question, the answer, the comment and the cited passages', async () => {
    const list = await get(gw, '/admin/api/conversations?openid=user_a');
    const id = list.body.data.items[0].conversation_id;
    const before = await get(gw, `/admin/api/conversations/${id}`);
    const [, refund, , invoice] = before.body.data.messages;
    assert.equal(refund.sources[0].source, '售后政策.md', 'the answer cited the knowledge base');
    // ratings as the feedback frame stores them (FeedbackStore, the chat store's own)
    // a second apart: "latest first" must not depend on two ratings landing in different milliseconds
    const ratedAt = Date.now();
    await gw.stores.feedback.rate({ openid: 'user_a', conversationId: id, answerId: refund.id, rating: 'down', comment: '退货要填"原因"，=没说清' }, ratedAt);
    await gw.stores.feedback.rate({ openid: 'user_a', conversationId: id, answerId: invoice.id, rating: 'up' }, ratedAt + 1_000);

    const detail = await get(gw, `/admin/api/conversations/${id}`);
    const messages = detail.body.data.messages;
    assert.equal(messages[1].rating.rating, 'down');
    assert.equal(messages[1].rating.comment, '退货要填"原因"，=没说清');
    assert.equal(messages[3].rating.rating, 'up');
    assert.equal(messages[3].rating.comment, undefined);
    assert.equal(messages[0].rating, undefined);

    const down = await get(gw, '/admin/api/feedback?rating=down');
    assert.equal(down.body.data.items.length, 1);
    const item = down.body.data.items[0];
    assert.equal(item.question, '怎么申请退货？');
    assert.equal(item.answer, '收到：怎么申请退货？');
    assert.equal(item.comment, '退货要填"原因"，=没说清');
    assert.equal(item.conversation_id, id);
    assert.equal(item.sources[0].source, '售后政策.md');
    assert.match(item.sources[0].snippet, /退货/);

    const all = await get(gw, '/admin/api/feedback?limit=1');
    assert.equal(all.body.data.items.length, 1);
    assert.equal(all.body.data.items[0].rating, 'up', 'latest rating first');
    const next = await get(gw, `/admin/api/feedback?limit=1&cursor=${all.body.data.next_cursor}`);
    assert.equal(next.body.data.items[0].rating, 'down');
    assert.equal(next.body.data.next_cursor, undefined);
    const bad = await get(gw, '/admin/api/feedback?cursor=bm9wZQ');
    assert.equal(bad.status, 400);
    const old = await get(gw, '/admin/api/feedback?to=2020-01-01');
    assert.deepEqual(old.body.data.items, []);

    const csv = await (await fetch(`${gw.url}/admin/api/export?format=csv`, { headers: auth })).text();
    assert.ok(csv.includes(`,down,"退货要填""原因""，=没说清",售后政策.md#`), 'the export carries the rating and the cited document');
  });

  it('lists a user\'s several conversations, and a deleted one leaves the list and the search', async () => {
    await gw.stores.history.clear('user_a');
    await chat(gw, 'user_a', '换一个话题：会员积分怎么用');
    const mine = await get(gw, '/admin/api/conversations?openid=user_a');
    assert.deepEqual(mine.body.data.items.map((i: any) => i.title), ['换一个话题：会员积分怎么用', '怎么申请退货？']);
    const [fresh, old] = mine.body.data.items;
    const found = await get(gw, `/admin/api/conversations?q=${encodeURIComponent('积分')}`);
    assert.deepEqual(found.body.data.items.map((i: any) => i.conversation_id), [fresh.conversation_id]);

    assert.equal(await gw.stores.history.deleteConversation('user_a', old.conversation_id), true);
    const after = await get(gw, '/admin/api/conversations?openid=user_a');
    assert.deepEqual(after.body.data.items.map((i: any) => i.conversation_id), [fresh.conversation_id]);
    const gone = await get(gw, `/admin/api/conversations?q=${encodeURIComponent('增值税')}`);
    assert.deepEqual(gone.body.data.items, []);
    assert.equal((await get(gw, `/admin/api/conversations/${old.conversation_id}`)).status, 404);
    // what was spent stays spent
    const usage = await get(gw, '/admin/api/usage');
    assert.equal(usage.body.data.users.find((u: any) => u.openid === 'user_a').chats, 3);
  });
});

describe('/admin/api without ADMIN_TOKEN', () => {
  it('answers 404 like any unknown path', async () => {
    const gw = await startGateway({ env: { ADMIN_TOKEN: '' } });
    try {
      for (const path of ['/admin/api/conversations', '/admin/api/usage', '/admin/api/export?format=csv']) {
        const res = await get(gw, path);
        assert.equal(res.status, 404, path);
        assert.equal(res.body.data.reason, 'not_found');
        const unknown = await get(gw, '/nowhere');
        assert.deepEqual(res.body, unknown.body);
      }
    } finally {
      await gw.stop();
    }
  });
});
