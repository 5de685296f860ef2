import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeLlmServer, type FakeChatBody, type FakeLlmServer } from './support/fake-llm-server.js';
import { startGateway, type RunningGateway } from './support/start-gateway.js';
import { WsTestClient } from './support/ws-test-client.js';

/** A small knowledge base of our own, as a customer would load it. */
const files = {
  '售后政策.md': `# 售后政策

## 退货

自签收之日起 7 天内，商品未使用且包装完好的，可以申请无理由退货。退货运费由买家承担，质量问题除外。

## 换货

签收 15 天内出现质量问题可以换货，换货运费由商家承担。`,
  '会员说明.md': `# 会员说明

## 黄金会员

黄金会员享受全场九五折、每月两张免运费券和专属客服。

## 黄金会员价格

黄金会员的年费是 199 元，可以随时取消自动续费。`,
};

type WireSource = { title: string; source: string; snippet: string; score: number };
/** Scores as sent, asserting they are ordered most relevant first (documented in docs/protocol.md). */
const assertByRelevance = (sources: WireSource[]) => {
  const scores = sources.map((s) => s.score);
  assert.deepEqual(scores, [...scores].sort((a, b) => b - a), `sources by relevance: ${JSON.stringify(sources)}`);
};

const systemOf = (body: FakeChatBody) => String(body.messages.find((m) => m.role === 'system')?.content ?? '');
const isRewrite = (body: FakeChatBody) => systemOf(body).includes('检索改写');

describe('knowledge-base answers (classic RAG, follow-ups, auto RAG)', () => {
  let llm: FakeLlmServer;
  let gw: RunningGateway;

  before(async () => {
    llm = await startFakeLlmServer({ apiKey: 'test-key' });
    gw = await startGateway({ llm, knowledgeBase: { files }, env: { KB_LOAD_SAMPLE: 'false' } });
  });
  after(async () => {
    await gw.stop();
    await llm.close();
  });

  it('classic RAG quotes the relevant passage in the prompt and returns its source', async () => {
    const { client } = await WsTestClient.loggedIn(gw.wsUrl, 'rag_classic');
    const before = llm.requests.length;
    client.send({ type: 'chat', query: '退货的期限是多久？' });
    const response = await client.nextOf('chat_response');
    const prompt = systemOf(llm.requests[before]!.body as FakeChatBody);
    assert.match(prompt, /<参考资料>[\s\S]*7 天内[\s\S]*<\/参考资料>/);
    assert.match(prompt, /售后政策\.md/);
    const sources = response.data.sources as Array<{ title: string; source: string; snippet: string; score: number }>;
    assert.ok(sources.length >= 1);
    assert.equal(sources[0]!.source, '售后政策.md');
    assert.equal(sources[0]!.title, '售后政策');
    assert.match(sources[0]!.snippet, /7 天内/);
    assert.ok(sources[0]!.score > 0 && sources[0]!.score <= 1);
    client.send({ type: 'history' });
    const stored = (await client.nextOf('history_response')).data.messages.at(-1);
    assert.equal(stored.id, response.data.id);
    await client.close();
  });

  it('below the relevance bar the model answers without references', async () => {
    const { client } = await WsTestClient.loggedIn(gw.wsUrl, 'rag_offtopic');
    const before = llm.requests.length;
    client.send({ type: 'chat', query: '帮我写一首关于秋天的诗' });
    const response = await client.nextOf('chat_response');
    assert.doesNotMatch(systemOf(llm.requests[before]!.body as FakeChatBody), /参考资料/);
    assert.equal(response.data.sources, undefined);
    assert.deepEqual(Object.keys(response.data).sort(), ['id', 'msg', 'session_id'], 'seed shape when nothing is cited');
    await client.close();
  });

  it('a follow-up ("那它多少钱？") is rewritten with the conversation before retrieval', async () => {
    llm.setReply((body) => (isRewrite(body) ? '黄金会员的年费是多少钱？' : `收到：${body.messages.at(-1)?.content}`));
    try {
      const { client } = await WsTestClient.loggedIn(gw.wsUrl, 'rag_followup');
      client.send({ type: 'chat', query: '黄金会员有什么权益？' });
      await client.nextOf('chat_response');
      const before = llm.requests.length;
      client.send({ type: 'chat', query: '那它多少钱？', stream: true });
      const progress = await client.nextOf('chat_progress');
      assert.deepEqual([progress.data.stage, progress.data.query], ['searching', '黄金会员的年费是多少钱？']);
      const response = await client.nextOf('chat_response');
      const [rewrite, answer] = llm.requests.slice(before).map((r) => r.body as FakeChatBody);
      assert.ok(isRewrite(rewrite!), 'the model was asked to rewrite');
      assert.match(String(rewrite!.messages.at(-1)?.content), /黄金会员有什么权益/, 'with the conversation');
      assert.match(systemOf(answer!), /年费是 199 元/);
      assert.equal(response.data.sources[0].source, '会员说明.md');
      await client.close();
    } finally {
      llm.setReply((body) => `收到：${body.messages.at(-1)?.content}`);
    }
  });

  it('auto RAG: the model calls search_knowledge_base, sees the results, answers with sources', async () => {
    llm.setReply((body) => {
      const searched = body.messages.some((m) => m.role === 'tool');
      if (body.tools && !searched) return { toolCalls: [{ name: 'search_knowledge_base', arguments: { query: '换货 运费' } }] };
      return '质量问题换货的运费由商家承担 [1]。';
    });
    try {
      const { client } = await WsTestClient.loggedIn(gw.wsUrl, 'rag_auto');
      const before = llm.requests.length;
      client.send({ type: 'chat', query: '换货要我出运费吗？', use_auto_rag: true, stream: true });
      const progress = await client.nextOf('chat_progress');
      assert.deepEqual([progress.data.stage, progress.data.query], ['searching', '换货 运费']);
      const response = await client.nextOf('chat_response');
      assert.equal(response.data.msg, '质量问题换货的运费由商家承担 [1]。');
      assert.equal(response.data.sources[0].source, '售后政策.md');
      const [first, second] = llm.requests.slice(before).map((r) => r.body as FakeChatBody);
      assert.equal((first!.tools as Array<{ function: { name: string } }>)[0]!.function.name, 'search_knowledge_base');
      const tool = second!.messages.find((m) => m.role === 'tool');
      assert.match(String(tool?.content), /换货运费由商家承担/);
      assert.ok(second!.messages.some((m) => m.role === 'assistant' && m.tool_calls), 'the tool call is replayed');
      await client.close();
    } finally {
      llm.setReply((body) => `收到：${body.messages.at(-1)?.content}`);
    }
  });

  it('auto RAG stops offering the tool after 3 searches', async () => {
    llm.setReply((body) => (body.tools ? { toolCalls: [{ name: 'search_knowledge_base', arguments: { query: '退货' } }] } : '好的'));
    try {
      const { client } = await WsTestClient.loggedIn(gw.wsUrl, 'rag_loop');
      const before = llm.requests.length;
      client.send({ type: 'chat', query: '退货怎么办？', use_auto_rag: true, stream: true });
      const response = await client.nextOf('chat_response');
      assert.equal(response.data.msg, '好的');
      assert.equal(response.skipped.filter((f) => f.type === 'chat_progress').length, 3);
      assert.equal(llm.requests.length - before, 4, '3 searching rounds + the answer');
      await client.close();
    } finally {
      llm.setReply((body) => `收到：${body.messages.at(-1)?.content}`);
    }
  });

  it('classic RAG lists sources (and numbers the quoted passages) most relevant first', async () => {
    // The search ranks 「黄金会员价格」 above 「退货」, but 「退货」 covers more of this question.
    const { client } = await WsTestClient.loggedIn(gw.wsUrl, 'rag_order');
    const before = llm.requests.length;
    client.send({ type: 'chat', query: '黄金会员价格和退货运费' });
    const response = await client.nextOf('chat_response');
    const sources = response.data.sources as WireSource[];
    assert.ok(sources.length >= 2, JSON.stringify(sources));
    assertByRelevance(sources);
    const prompt = systemOf(llm.requests[before]!.body as FakeChatBody);
    assert.match(prompt, new RegExp(`\\[1\\] 《${sources[0]!.title}`), 'citation [1] is sources[0]');
    await client.close();
  });

  it('auto RAG over several searches lists each passage once, most relevant first, numbered as last quoted', async () => {
    const queries = ['换货 运费', '退货换货运费'];
    llm.setReply((body) => {
      const searches = body.messages.filter((m) => m.role === 'tool').length;
      if (body.tools && searches < queries.length) {
        return { toolCalls: [{ name: 'search_knowledge_base', arguments: { query: queries[searches]! } }] };
      }
      return '运费规则如上 [1]。';
    });
    try {
      const { client } = await WsTestClient.loggedIn(gw.wsUrl, 'rag_auto_order');
      const before = llm.requests.length;
      client.send({ type: 'chat', query: '运费到底谁出？', use_auto_rag: true });
      const response = await client.nextOf('chat_response');
      const sources = response.data.sources as WireSource[];
      assertByRelevance(sources);
      assert.equal(new Set(sources.map((s) => s.snippet)).size, sources.length, 'no passage twice');
      // the second search found a better passage than the first: the last list the model saw
      // is renumbered, so its [1] is sources[0]
      const last = llm.requests.at(-1)!.body as FakeChatBody;
      assert.equal(llm.requests.length - before, 3);
      const lastTool = String(last.messages.filter((m) => m.role === 'tool').at(-1)?.content);
      assert.match(lastTool, /重新编号/);
      assert.match(lastTool, new RegExp(`\\[1\\] 《${sources[0]!.title}[^》]*》[^\\n]*\\n${escapeRegExp(sources[0]!.snippet.replace(/…$/, ''))}`));
      assert.equal((lastTool.match(/^\[\d+\] /gm) ?? []).length, sources.length);
      await client.close();
    } finally {
      llm.setReply((body) => `收到：${body.messages.at(-1)?.content}`);
    }
  });

  it('a provider that rejects tools (Ollama: "does not support tools") falls back to rewrite-then-retrieve', async () => {
    llm.setRefuseTools('registry.ollama.ai/library/gemma:2b does not support tools');
    try {
      const { client } = await WsTestClient.loggedIn(gw.wsUrl, 'rag_notools');
      const before = llm.requests.length;
      client.send({ type: 'chat', query: '退货的期限是多久？', use_auto_rag: true });
      const response = await client.nextOf('chat_response');
      assert.equal(response.code, 0);
      assert.equal(response.data.sources[0].source, '售后政策.md');
      const [refused, answered] = llm.requests.slice(before).map((r) => r.body as FakeChatBody);
      assert.ok(refused!.tools?.length, 'auto RAG offered the tool first');
      assert.equal(answered!.tools, undefined, 'then answered without tools');
      assert.match(systemOf(answered!), /7 天内/);
      await client.close();
    } finally {
      llm.setRefuseTools(undefined);
    }
  });

  it('a wrong API key with use_auto_rag fails once: no second model call', async () => {
    const { client } = await WsTestClient.loggedIn(gw.wsUrl, 'rag_badkey');
    const before = llm.requests.length;
    llm.pushFault({ status: 401, message: 'Incorrect API key provided: wr***ey. You can find your API key at https://platform.openai.com/account/api-keys.' });
    client.send({ type: 'chat', query: '退货的期限是多久？', use_auto_rag: true });
    const response = await client.nextOf('chat_response');
    assert.deepEqual([response.code, response.data.reason], [502, 'model_error']);
    assert.equal(llm.requests.length - before, 1, 'the model was called once');
    await client.close();
  });

  it('a knowledge base empty at start: the model alone, then retrieval once a document is uploaded', async (t) => {
    const gw = await startGateway({ llm, knowledgeBase: true, env: { KB_LOAD_SAMPLE: 'false' } });
    t.after(() => gw.stop());
    const { client } = await WsTestClient.loggedIn(gw.wsUrl, 'rag_fill');
    let before = llm.requests.length;
    client.send({ type: 'chat', query: '退货的期限是多久？', use_auto_rag: true });
    const empty = await client.nextOf('chat_response');
    assert.equal(empty.data.sources, undefined);
    const alone = llm.requests.slice(before).map((r) => r.body as FakeChatBody);
    assert.equal(alone.length, 1);
    assert.equal(alone[0]!.tools, undefined, 'no search tool over an empty knowledge base');

    await gw.knowledgeBase!.addBuffer('售后政策.md', Buffer.from(files['售后政策.md']));
    before = llm.requests.length;
    client.send({ type: 'chat', query: '退货的期限是多久？' });
    const filled = await client.nextOf('chat_response');
    assert.equal(filled.data.sources[0].source, '售后政策.md');
    assert.match(systemOf(llm.requests[before]!.body as FakeChatBody), /7 天内/);
    await client.close();
  });
});

describe('offline mode answers from the knowledge base', () => {
  let gw: RunningGateway;

  before(async () => {
    gw = await startGateway({ knowledgeBase: { files }, env: { KB_LOAD_SAMPLE: 'false' } });
  });
  after(async () => {
    await gw.stop();
  });

  it('gives the best passage with its source, or says the knowledge base has no answer', async () => {
    const { client } = await WsTestClient.loggedIn(gw.wsUrl, 'offline_kb');
    client.send({ type: 'chat', query: '黄金会员一年多少钱？', stream: true });
    const response = await client.nextOf('chat_response');
    assert.match(response.data.msg, /年费是 199 元/);
    assert.match(response.data.msg, /来源：会员说明\.md/);
    assert.equal(response.data.sources[0].source, '会员说明.md');
    assert.equal(response.skipped.filter((f) => f.type === 'chat_delta').map((f) => f.data.delta).join(''), response.data.msg);
    client.send({ type: 'chat', query: '火星上有没有水？' });
    const none = await client.nextOf('chat_response');
    assert.match(none.data.msg, /知识库中没有找到/);
    assert.equal(none.data.sources, undefined);
    await client.close();
  });

  it('lists as sources exactly the passages it quotes, most relevant first', async () => {
    // three passages clear the relevance bar for this question; the answer quotes two
    const { client } = await WsTestClient.loggedIn(gw.wsUrl, 'offline_sources');
    client.send({ type: 'chat', query: '运费谁承担？' });
    const response = await client.nextOf('chat_response');
    const sources = response.data.sources as WireSource[];
    const quoted = [...(response.data.msg as string).matchAll(/\*\*(.+?)\*\*\n\n([\s\S]+?)\n\n> 来源：(.+)/g)];
    assert.equal(quoted.length, 2, response.data.msg);
    assert.equal(sources.length, quoted.length, JSON.stringify(sources));
    sources.forEach((source, i) => {
      assert.equal(source.source, quoted[i]![3]);
      assert.ok(quoted[i]![2]!.startsWith(source.snippet.replace(/…$/, '')), `${source.snippet} is passage ${i + 1}`);
    });
    assertByRelevance(sources);
    await client.close();
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
