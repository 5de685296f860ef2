import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeLlmServer, type FakeLlmServer } from './support/fake-llm-server.js';
import { startGateway, type RunningGateway } from './support/start-gateway.js';
import { createWxEnvironment, type WxEnvironment } from './support/wx-shim.js';
import { plain, until } from './support/wait.js';

/**
 * The demo page's conversation drawer, 👍/👎 and suggestion chips (pages/chat +
 * conversation-panel.js) under the wx shim against the real gateway: what the user sees as
 * page data after each tap.
 */
const ROOT = join(import.meta.dirname, '..', 'miniprogram');
const FAST = { reconnect: { delay: 20, factor: 2, maxDelay: 200, jitter: 0.5 } };
const tap = (dataset: Record<string, string>) => ({ currentTarget: { dataset } });

describe('the demo page: conversations, ratings, suggestions (real gateway)', () => {
  let llm: FakeLlmServer;
  let gw: RunningGateway;
  const envs: WxEnvironment[] = [];

  function open(storage: Record<string, string> = {}) {
    const env = createWxEnvironment({ root: ROOT });
    envs.push(env);
    for (const [key, value] of Object.entries(storage)) env.storage.set(key, value);
    env.launchApp(ROOT, { 'config.js': { wsUrl: gw.wsUrl, httpBaseUrl: gw.url, transport: 'socket', client: FAST } });
    const page = env.openPage('pages/chat/chat');
    return { env, page };
  }

  async function ask(page: any, query: string): Promise<any> {
    const n = page.data.messages.length;
    page.onInput({ detail: { value: query } });
    page.onSend();
    await until(() => page.data.busy === false && page.data.messages[n + 1]?.answerId, `the answer to ${query}`);
    return page.data.messages[n + 1];
  }

  before(async () => {
    llm = await startFakeLlmServer({ apiKey: 'test-key' });
    llm.setReply((body) => `收到：${String(body.messages.at(-1)?.content)}`);
    gw = await startGateway({ llm, env: { KB_LOAD_SAMPLE: 'false' } });
  });
  afterEach(() => {
    for (const env of envs.splice(0)) env.app?.chat.stop();
  });
  after(async () => {
    await gw.stop();
    await llm.close();
  });

  it('rates an answer (changeable), switches conversations from the drawer, and keeps the rating', async () => {
    const { env, page } = open();
    await until(() => page.data.statusText === '', 'connected');
    const first = await ask(page, '第一段对话');
    assert.equal(first.rating, '');
    await page.onRate(tap({ key: first.key, rating: 'up' }));
    assert.equal(page.data.messages[1].rating, 'up');
    await page.onRate(tap({ key: first.key, rating: 'down' }));
    assert.equal(page.data.messages[1].rating, 'down', 'the other thumb changes the rating');

    page.onClear();
    await until(() => page.data.messages.length === 0, 'a new conversation');
    await ask(page, '第二段对话');

    await page.onOpenDrawer();
    assert.equal(page.data.drawerOpen, true);
    assert.deepEqual(plain(page.data.conversations.map((c: any) => [c.title, c.active])), [
      ['第二段对话', true],
      ['第一段对话', false],
    ]);
    assert.match(page.data.conversations[0].meta, /^\d\d:\d\d · 2 条$/);

    // open the first one: its messages, with the rating from history
    await page.onOpenConversation(tap({ id: page.data.conversations[1].id }));
    assert.equal(page.data.drawerOpen, false);
    assert.deepEqual(plain(page.data.messages.map((m: any) => [m.role, m.text ?? page.texts[m.key], m.rating ?? null])), [
      ['user', '第一段对话', null],
      ['ai', '收到：第一段对话', 'down'],
    ]);
    // and continue it
    await ask(page, '继续第一段');
    await page.onOpenDrawer();
    assert.deepEqual(plain(page.data.conversations.map((c: any) => [c.title, c.active, c.meta.split(' · ')[1]])), [
      ['第一段对话', true, '4 条'],
      ['第二段对话', false, '2 条'],
    ]);
    assert.deepEqual(env.toasts, []);
  });

  it('deletes a conversation only after confirming; deleting the shown one empties the page', async () => {
    const { env, page } = open();
    await until(() => page.data.statusText === '', 'connected');
    await ask(page, '要删除的对话');
    page.onClear();
    await until(() => page.data.messages.length === 0, 'cleared');
    await ask(page, '正在看的对话');
    await page.onOpenDrawer();
    const [shown, other] = plain(page.data.conversations);

    env.modalAnswer = false;
    page.onDeleteConversation(tap({ id: other.id, title: other.title }));
    await new Promise((resolve) => setTimeout(resolve, 50)); // the modal's callback is asynchronous, like the phone's
    assert.deepEqual(plain(env.modals.at(-1)), { title: '删除对话', content: '删除后无法恢复：要删除的对话', confirmText: '删除' });
    await page.loadConversations();
    assert.equal(page.data.conversations.length, 2, 'cancel keeps it');

    env.modalAnswer = true;
    page.onDeleteConversation(tap({ id: other.id, title: other.title }));
    await until(() => page.data.conversations.length === 1, 'deleted from the list');
    assert.equal(page.data.messages.length, 2, 'the shown conversation stays on the page');

    page.onDeleteConversation(tap({ id: shown.id, title: shown.title }));
    await until(() => page.data.conversations.length === 0 && page.data.messages.length === 0, 'the shown one deleted');
    const next = await ask(page, '删除后的新问题');
    assert.equal(next.note, '', 'the next question starts a new conversation');
    assert.deepEqual(env.toasts, []);
  });

  it('a conversation deleted on another device: a Chinese toast and a fresh list', async () => {
    const phone = open();
    await until(() => phone.page.data.statusText === '', 'connected');
    await ask(phone.page, '另一台设备会删除它');
    await phone.page.onOpenDrawer();
    const id = phone.page.data.conversations[0].id;
    const tablet = open({ wag_session_id: phone.env.storage.get('wag_session_id') as string });
    await tablet.env.app!.chat.deleteConversation(id);
    await phone.page.onOpenConversation(tap({ id }));
    assert.deepEqual(phone.env.toasts, [{ title: '这个对话已被删除，请刷新列表', icon: 'none' }]);
    await until(() => phone.page.data.conversations.length === 0, 'the list refreshed');
  });

  it('suggestion chips under the latest answer; tapping one asks it; a new question clears them', async () => {
    const { page } = open();
    await until(() => page.data.statusText === '', 'connected');
    const answer = await ask(page, '有建议的问题');
    // the gateway's side of this page's socket sends chat_suggestions: for an older answer (ignored), then this one
    // (the gateway's own frames, SUGGESTIONS=on, are in the next describe)
    const socket = [...gw.app.fastify.websocketServer.clients].at(-1)!;
    socket.send(JSON.stringify({ type: 'chat_suggestions', code: 0, message: '你可能还想问', data: { id: 'an-older-answer', suggestions: ['不该出现'] } }));
    socket.send(JSON.stringify({ type: 'chat_suggestions', code: 0, message: '你可能还想问', data: { id: answer.answerId, suggestions: ['退货运费谁出？', '换货要多久？'] } }));
    await until(() => page.data.suggestions.length === 2, 'the chips');
    assert.deepEqual(plain(page.data.suggestions), ['退货运费谁出？', '换货要多久？']);
    page.onSuggestion(tap({ text: '换货要多久？' }));
    assert.deepEqual(plain(page.data.suggestions), [], 'chips go away once asked');
    await until(() => page.data.busy === false && page.data.messages.length === 4, 'the chip answered');
    assert.deepEqual(plain(page.data.messages[2]).text, '换货要多久？');
    assert.equal(page.texts[page.data.messages[3].key], '收到：换货要多久？');
  });

  it('a failed answer shows no thumbs', async () => {
    for (let i = 0; i < 3; i++) llm.pushFault({ status: 500 }); // the first try and both retries
    const { page } = open();
    await until(() => page.data.statusText === '', 'connected');
    page.onInput({ detail: { value: '会失败的问题' } });
    page.onSend();
    await until(() => page.data.busy === false && page.data.messages[1]?.note === '回答未完成', 'the failure');
    assert.equal(page.data.messages[1].noRate, true);
    const ok = await ask(page, '正常的问题');
    assert.equal(ok.noRate, false);
  });

  it('the WXML has the drawer, the thumbs under each answer and the chips', () => {
    const wxml = readFileSync(join(ROOT, 'pages/chat/chat.wxml'), 'utf8');
    assert.match(wxml, /bindtap="onOpenDrawer"/);
    assert.match(wxml, /wx:for="{{conversations}}"[^>]*bindtap="onOpenConversation" data-id="{{item.id}}"/);
    assert.match(wxml, /catchtap="onDeleteConversation"/);
    const aiBubble = wxml.slice(wxml.indexOf('ai-bubble'), wxml.indexOf('class="chips"'));
    assert.match(aiBubble, /catchtap="onRate"[^>]*data-rating="up"/);
    assert.match(aiBubble, /catchtap="onRate"[^>]*data-rating="down"/);
    assert.match(wxml, /wx:for="{{suggestions}}"[^>]*bindtap="onSuggestion" data-text="{{item}}"/);
  });
});

describe('the demo page: suggestion chips from a gateway with SUGGESTIONS=on (offline, kb-sample headings)', () => {
  let gw: RunningGateway;
  const envs: WxEnvironment[] = [];
  before(async () => {
    gw = await startGateway({ knowledgeBase: true, env: { SUGGESTIONS: 'on', KB_LOAD_SAMPLE: 'true' } });
  });
  after(async () => {
    for (const env of envs) env.app?.chat.stop();
    await gw.stop();
  });

  it('shows the chat_suggestions chips under the answer; tapping one asks it and gets new chips', async () => {
    const env = createWxEnvironment({ root: ROOT });
    envs.push(env);
    env.launchApp(ROOT, { 'config.js': { wsUrl: gw.wsUrl, httpBaseUrl: gw.url, transport: 'socket', client: FAST } });
    const page = env.openPage('pages/chat/chat');
    const frames: any[] = [];
    env.app!.chat.on('frame', (f: any) => f.direction === 'in' && frames.push(plain(f.frame)));
    await until(() => page.data.statusText === '', 'connected');
    page.onInput({ detail: { value: 'socket 合法域名怎么配置？' } });
    page.onSend();
    await until(() => page.data.suggestions.length > 0, 'the chips', 10_000);
    const chips: string[] = plain(page.data.suggestions);
    const frame = frames.find((f) => f.type === 'chat_suggestions');
    assert.deepEqual(chips, frame.data.suggestions, 'the chips are the frame\'s suggestions');
    assert.equal(frame.data.id, page.data.messages[1].answerId, 'for the answer on screen');
    assert.ok(chips.length >= 1 && chips.length <= 3);

    page.onSuggestion(tap({ text: chips[0]! }));
    assert.deepEqual(plain(page.data.suggestions), []);
    assert.equal(page.data.messages[2].text, chips[0]);
    await until(() => page.data.busy === false && page.data.messages.length === 4, 'the chip\'s answer', 10_000);
    assert.ok(page.texts[page.data.messages[3].key].length > 0);
    assert.deepEqual(env.toasts, []);
  });
});
