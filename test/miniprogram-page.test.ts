import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeLlmServer, type FakeLlmServer } from './support/fake-llm-server.js';
import { startGateway, type RunningGateway } from './support/start-gateway.js';
import { createWxEnvironment, type WxEnvironment } from './support/wx-shim.js';
import { WsTestClient } from './support/ws-test-client.js';
import { plain, until } from './support/wait.js';

/**
 * The demo mini-program itself (app.js + pages/chat) under the wx shim against the real
 * gateway: what a user sees, as page data, and how often the page calls setData.
 */
const ROOT = join(import.meta.dirname, '..', 'miniprogram');
const FAST = {
  reconnect: { delay: 20, factor: 2, maxDelay: 200, jitter: 0.5 },
  heartbeat: { interval: 200, pongTimeout: 100, maxMissed: 2 },
};
/** the knowledge base the gateway answers from: questions about it come back with sources */
const KB_FILES = {
  '售后政策.md': '# 售后政策\n\n## 退货\n\n自签收之日起 7 天内，商品未使用且包装完好的，可以申请无理由退货。退货运费由买家承担，质量问题除外。',
};


describe('the demo mini-program (pages/chat) against the real gateway', () => {
  let llm: FakeLlmServer;
  let gw: RunningGateway;
  const envs: WxEnvironment[] = [];

  /** launches app.js with config.js pointing at the test gateway, and opens the chat page */
  function open(options: { sessionId?: string } = {}) {
    const env = createWxEnvironment({ root: ROOT });
    envs.push(env);
    if (options.sessionId) env.storage.set('wag_session_id', options.sessionId);
    env.launchApp(ROOT, { 'config.js': { wsUrl: gw.wsUrl, httpBaseUrl: gw.url, transport: 'socket', client: FAST } });
    const page = env.openPage('pages/chat/chat');
    const toNodes = (text: string) => plain(env.require('lib/markdown-nodes.js').toNodes(text));
    return { env, page, toNodes };
  }

  before(async () => {
    llm = await startFakeLlmServer({ apiKey: 'test-key', deltaLatencyMs: 5, deltaChars: 1 });
    gw = await startGateway({ llm, knowledgeBase: { files: KB_FILES }, env: { STREAM_COALESCE_MS: '0', KB_LOAD_SAMPLE: 'false' } });
  });
  after(async () => {
    for (const env of envs) env.app?.chat.stop();
    await gw.stop();
    await llm.close();
  });

  it('opens with the history, streams the answer in order with ≤ 20 setData a second, shows its sources', async () => {
    const { client: earlier, login } = await WsTestClient.loggedIn(gw.wsUrl, 'page_user');
    earlier.send({ type: 'chat', query: '上次的问题' });
    await earlier.nextOf('chat_response');
    await earlier.close();

    const full = '## 回答\n\n' + '签收 7 天内可以无理由退货 [1]，这是逐字流式显示的 **Markdown** 回答，'.repeat(6) + '\n\n- 第一点\n- 第二点';
    // a follow-up is first rewritten into a standalone search query (a separate model call)
    llm.setReply((body) => (String(body.messages[0]?.content).includes('检索改写') ? '退货的期限是多久？' : full));
    const { env, page, toNodes } = open({ sessionId: login.data.session_id });

    await until(() => page.data.messages.length === 2, 'history on open');
    assert.deepEqual(plain(page.data.messages[0]), { key: page.data.messages[0].key, role: 'user', text: '上次的问题' });
    assert.deepEqual(plain(page.data.messages[1].nodes), toNodes('收到：上次的问题'));
    assert.equal(env.loginCodes.length, 0, 'logged in with the stored session_id');

    page.onInput({ detail: { value: '退货的期限是多久？' } });
    const sentAt = Date.now();
    page.onSend();
    assert.equal(page.data.busy, true);
    assert.equal(page.data.inputValue, '');
    assert.deepEqual(plain(page.data.messages.slice(2).map((m: any) => [m.role, m.text ?? null, m.waiting ?? null])), [
      ['user', '退货的期限是多久？', null],
      ['ai', null, true],
    ]);

    // watch the answer grow: every render shows a prefix of the final text
    const seen: string[] = [];
    await until(() => {
      const nodes = JSON.stringify(page.data.messages[3].nodes);
      if (seen.at(-1) !== nodes) seen.push(nodes);
      return page.data.busy === false;
    }, 'the answer', 15_000);
    const doneAt = Date.now();
    const last = plain(page.data.messages[3]);
    assert.deepEqual(last.nodes, toNodes(full));
    assert.deepEqual([last.streaming, last.waiting, last.note], [false, false, '']);
    assert.equal(last.sources[0].source, '售后政策.md', 'sources from the knowledge base, under the answer');
    assert.equal(last.sources[0].title, '售后政策');
    assert.match(last.sources[0].snippet, /7 天内/);
    assert.ok(seen.length > 5, `rendered progressively (${seen.length} states)`);
    assert.equal(page.data.messages.length, 4);

    const answerRenders = env.renders.filter((r) => r.page === page && r.at >= sentAt && r.keys.some((k) => k.startsWith('messages[3].nodes')));
    // while streaming, at most one setData per 50 ms; the final one (answer done) is not held back
    const gaps = answerRenders.slice(1, -1).map((r, i) => r.at - answerRenders[i]!.at);
    assert.ok(gaps.every((g) => g >= 45), `setData at most every 50 ms (gaps: ${gaps})`);
    const seconds = (doneAt - sentAt) / 1000;
    assert.ok(answerRenders.length <= 20 * seconds + 3, `${answerRenders.length} renders in ${seconds.toFixed(2)} s`);
    assert.deepEqual(env.toasts, []);

    // the SocketTask (or the client) never goes into page data
    assert.doesNotThrow(() => structuredClone(page.data));
    assert.doesNotMatch(JSON.stringify(page.data), /socketTask|_ws|readyState/);
    assert.equal(typeof page.chat?.chat, 'function', 'the page reaches the app\'s client through an instance field');
  });

  it('an answer that cited the knowledge base keeps its sources when the page reloads the history', async () => {
    llm.setReply((body) => (String(body.messages[0]?.content).includes('检索改写') ? '退货的期限是多久？' : '签收 7 天内可以无理由退货 [1]。'));
    const first = open();
    first.page.onInput({ detail: { value: '退货的期限是多久？' } });
    first.page.onSend();
    await until(() => first.page.data.busy === false && first.page.data.messages[1]?.sources.length > 0, 'the answer with its sources');
    const live = plain(first.page.data.messages[1].sources);
    assert.equal(live[0].source, '售后政策.md');

    // the user comes back later: a new page (and app) loads the conversation from history
    const again = open({ sessionId: first.env.storage.get('wag_session_id') as string });
    await until(() => again.page.data.messages.length === 2, 'history on open');
    const reloaded = plain(again.page.data.messages[1]);
    assert.deepEqual(reloaded.nodes, again.toNodes('签收 7 天内可以无理由退货 [1]。'));
    assert.deepEqual(reloaded.sources, live, 'the same sources as when the answer was live');
    assert.deepEqual(again.env.toasts, []);
  });

  it('while the server searches the knowledge base, the answer says what it is looking for (chat_progress)', async () => {
    // its own model with a slow first token, so the "searching" state lasts long enough to see
    const slow = await startFakeLlmServer({ apiKey: 'test-key', firstTokenLatencyMs: 300 });
    const kbGateway = await startGateway({ llm: slow, knowledgeBase: { files: KB_FILES }, env: { KB_LOAD_SAMPLE: 'false' } });
    const saved = gw;
    gw = kbGateway;
    try {
      slow.setReply((body) => (String(body.messages[0]?.content).includes('检索改写') ? '换货的运费谁承担？' : '质量问题换货由商家承担运费。'));
      const { page } = open();
      page.onInput({ detail: { value: '退货的期限是多久？' } });
      page.onSend();
      await until(() => page.data.busy === false, 'the first answer');
      page.onInput({ detail: { value: '那换货呢？' } }); // a follow-up: rewritten, then searched
      page.onSend();
      await until(() => page.data.messages[3]?.waitingText === '正在检索：换货的运费谁承担？', 'the searching state');
      assert.equal(page.data.messages[3].waiting, true);
      await until(() => page.data.busy === false, 'the second answer');
      assert.equal(page.data.messages[3].waiting, false);
    } finally {
      gw = saved;
      for (const env of envs.splice(-1)) env.app?.chat.stop();
      await kbGateway.stop();
      await slow.close();
    }
  });

  it('every AI answer carries the "AI 生成" label, sources render under it', () => {
    const wxml = readFileSync(join(ROOT, 'pages/chat/chat.wxml'), 'utf8');
    const aiBubble = wxml.slice(wxml.indexOf('ai-bubble'), wxml.indexOf('</scroll-view>'));
    assert.match(aiBubble, /<view class="ai-label">AI 生成<\/view>/);
    assert.match(aiBubble, /<rich-text[^>]*nodes="{{item.nodes}}"/);
    assert.match(aiBubble, /wx:for="{{item.sources}}"/);
    assert.match(wxml, /内容由 AI 生成/);
  });

  it('the stop button cancels: the partial answer stays, marked as stopped; 新对话 clears', async () => {
    const full = '一个会被用户停止的很长的回答。'.repeat(20);
    llm.setReply(() => full);
    const { env, page } = open();
    await until(() => page.data.statusText === '', 'connected');
    page.onInput({ detail: { value: '说很多很多' } });
    page.onSend();
    await until(() => JSON.stringify(page.data.messages[1]?.nodes ?? []).length > 80, 'some text');
    page.onStop();
    await until(() => page.data.busy === false, 'stopped');
    const ai = page.data.messages[1];
    assert.equal(ai.note, '已停止生成');
    assert.ok(page.texts[ai.key].length < full.length && full.startsWith(page.texts[ai.key]));
    assert.deepEqual(env.toasts, []);

    page.onClear();
    await until(() => page.data.messages.length === 0, 'a new conversation');
    assert.deepEqual(plain(await env.app!.chat.history()), []);
  });

  it('a model failure ends the answer with a Chinese toast mapped from data.reason', async () => {
    llm.setReply(() => 'unused');
    for (let i = 0; i < 3; i++) llm.pushFault({ status: 500 }); // the first try and both retries
    const { env, page } = open();
    page.onInput({ detail: { value: '会失败的问题' } });
    page.onSend();
    await until(() => page.data.busy === false, 'the failure');
    assert.equal(page.data.messages[1].note, '回答未完成');
    assert.deepEqual(env.toasts, [{ title: 'AI 服务暂时不可用，请稍后再试', icon: 'none' }]);
  });

  it('a drop mid-answer is invisible to the user: one AI message, complete', async () => {
    const full = '页面上看不出断线。'.repeat(12);
    llm.setReply(() => full);
    const { env, page, toNodes } = open();
    page.onInput({ detail: { value: '断线测试' } });
    page.onSend();
    await until(() => JSON.stringify(page.data.messages[1]?.nodes ?? []).length > 60, 'some text');
    for (const socket of gw.app.fastify.websocketServer.clients) socket.terminate();
    await until(() => page.data.busy === false, 'the answer', 10_000);
    assert.equal(page.data.messages.length, 2);
    assert.deepEqual(plain(page.data.messages[1].nodes), toNodes(full));
    assert.equal(env.sockets.length, 2);
    assert.equal(env.loginCodes.length, 1);
    assert.deepEqual(env.toasts, []);
  });
});
