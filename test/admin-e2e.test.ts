import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { LAPTOP, openChromium, type ChromiumPage } from './support/chromium.js';
import { startFakeLlmServer, type FakeLlmServer } from './support/fake-llm-server.js';
import { startGateway, type RunningGateway } from './support/start-gateway.js';
import { WsTestClient, type Frame } from './support/ws-test-client.js';

/**
 * The operators' page (/admin) in real headless Chromium against the real gateway (SQLite,
 * fake LLM): users chat over a real WebSocket first, then the operator signs in with the
 * token, finds a conversation by a word of its question, opens it, sees the answer and its
 * rating; uploads a document by drag and drop and finds it with the search box; reads the
 * usage chart; exports; and is sent back to the sign-in form by a wrong token.
 * Screenshots (laptop 1280×860 and phone 390×844) go to test-output/admin-e2e/.
 */
/** browser globals inside page.evaluate callbacks (the project compiles without the DOM lib) */
declare const window: any, document: any, sessionStorage: any, localStorage: any, DataTransfer: any, File: any;

const ADMIN_TOKEN = 'e2e-admin-token';
const HOSTILE = '<img src=x onerror="window.__pwned=1">发票怎么开？';
const PHONE = { width: 390, height: 844 };

describe('admin page, end to end in headless Chromium', () => {
  let llm: FakeLlmServer;
  let gw: RunningGateway;
  let browser: ChromiumPage;
  let page: Page;
  let pageErrors: string[];
  let aliceOpenid = '';
  let bobOpenid = '';

  /** logs in over the WebSocket as `code`, asks each question, returns the openid and the chat_responses */
  async function chatAs(code: string, questions: string[]): Promise<{ openid: string; client: WsTestClient; answers: Frame[] }> {
    const { client, login } = await WsTestClient.loggedIn(gw.wsUrl, code);
    assert.equal(login.code, 0);
    const answers: Frame[] = [];
    for (const [i, query] of questions.entries()) {
      client.send({ type: 'chat', query, request_id: `${code}-${i}` });
      const answer = await client.nextOf('chat_response', 15_000);
      assert.equal(answer.code, 0, JSON.stringify(answer));
      answers.push(answer);
    }
    return { openid: login.data.openid, client, answers };
  }

  async function shot(name: string): Promise<void> {
    await browser.shot(name, { fullPage: true });
  }

  /** elements sticking out past the right edge of a phone screen (wide tables scroll inside their own box instead) */
  async function overflowing(): Promise<string[]> {
    return page.evaluate(() =>
      [...document.querySelectorAll('body *')]
        .filter((el: any) => !el.closest('.table-wrap') && el.getClientRects().length > 0 && el.getBoundingClientRect().right > window.innerWidth + 0.5)
        .map((el: any) => `${el.tagName.toLowerCase()}#${el.id}.${el.className} right=${el.getBoundingClientRect().right}`),
    );
  }

  async function openTab(name: string): Promise<void> {
    await page.click(`#tabs [data-tab=${name}]`);
    await page.waitForSelector(`#tab-${name}:not([hidden])`);
  }

  before(async () => {
    llm = await startFakeLlmServer({ apiKey: 'test-key' });
    llm.setReply((body) => {
      const last = String(body.messages.at(-1)?.content ?? '');
      if (String(body.messages[0]?.content).includes('检索改写')) return last;
      if (last.includes('退货')) return '自签收之日起 7 天内可以申请无理由退货 [1]。';
      if (last.includes('发票')) return '在订单详情页点击“申请发票”即可。<script>window.__pwned=2</script>';
      return '你好，我是客服助手。';
    });
    gw = await startGateway({
      llm,
      knowledgeBase: { files: { '售后政策.md': '# 售后政策\n\n## 退货\n\n自签收之日起 7 天内可以申请无理由退货。' } },
      env: { ADMIN_TOKEN, KB_LOAD_SAMPLE: 'false' },
    });

    // the users' side, through the seed protocol on a real socket
    const alice = await chatAs('admin_e2e_alice', ['退货期限是多久？']);
    aliceOpenid = alice.openid;
    const answerId = alice.answers[0]!.data.id;
    alice.client.send({ type: 'feedback', id: answerId, rating: 'down', comment: '没说清楚<b>要不要运费</b>' });
    // the reply to it (other frames, e.g. suggested follow-ups, may come first)
    let reply = await alice.client.next();
    while (reply.type !== 'feedback_response' && reply.type !== 'error') reply = await alice.client.next();
    if (reply.type === 'feedback_response') assert.equal(reply.code, 0, JSON.stringify(reply));
    else {
      // The `feedback` frame arrives with branch conv-protocol; until it is merged the gateway
      // answers `error` (unknown type), and the rating goes in through the store the frame writes to.
      const found = await gw.stores.history.findMessage(aliceOpenid, answerId);
      assert.ok(found, 'the answer is stored');
      await gw.stores.feedback.rate({ openid: aliceOpenid, conversationId: found.conversationId, answerId, rating: 'down', comment: '没说清楚<b>要不要运费</b>' });
    }
    await alice.client.close();
    const bob = await chatAs('admin_e2e_bob', ['你好', HOSTILE]);
    bobOpenid = bob.openid;
    await bob.client.close();

    browser = await openChromium({ suite: 'admin-e2e', viewport: LAPTOP, locale: 'zh-CN', acceptDownloads: true });
    ({ page, errors: pageErrors } = browser);
  });

  after(async () => {
    await browser?.close();
    await gw?.stop();
    await llm?.close();
  });

  it('a wrong token stays on the sign-in form with a Chinese error', async () => {
    await page.goto(`${gw.url}/admin`);
    await page.waitForSelector('#signin-form');
    await shot('admin-signin');
    await page.fill('#token', 'wrong-token');
    await page.click('#signin-submit');
    await page.waitForSelector('#signin-error:not([hidden])');
    assert.equal(await page.textContent('#signin-error'), '管理令牌错误或已失效，请重新登录');
    assert.equal(await page.isVisible('#app'), false);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('wag_admin_token')), null, 'a refused token is not kept');
    await shot('admin-wrong-token');
    // a header carries only ASCII: a token typed with Chinese characters is refused before any request
    await page.fill('#token', '令牌');
    await page.click('#signin-submit');
    await page.waitForFunction(() => /只能包含英文字母/.test(document.querySelector('#signin-error')?.textContent ?? ''));
    assert.ok(pageErrors.length > 0 && pageErrors.every((e) => /^401 /.test(e) || /401/.test(e)), pageErrors.join('\n'));
    pageErrors.splice(0); // the 401 was the point
  });

  it('signs in; the token is in sessionStorage only, never in the URL or localStorage', async () => {
    await page.fill('#token', ADMIN_TOKEN);
    await page.press('#token', 'Enter');
    await page.waitForSelector('#conv-list .row.conv');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('wag_admin_token')), ADMIN_TOKEN);
    assert.equal(await page.evaluate(() => localStorage.length), 0);
    assert.doesNotMatch(page.url(), /token/i);
    assert.ok(!page.url().includes(encodeURIComponent(ADMIN_TOKEN)));
    assert.equal(await page.locator('#conv-list .row.conv').count(), 2, "alice's conversation and bob's");
  });

  it('finds a conversation by a word of its question, opens it: the answer, its sources and rating', async () => {
    await page.fill('#conv-q', '退货');
    await page.click('#conv-filter button[type=submit]');
    await page.waitForFunction(() => document.querySelectorAll('#conv-list .row.conv').length === 1);
    const row = page.locator('#conv-list .row.conv').first();
    assert.match((await row.textContent()) ?? '', /退货期限是多久/);
    assert.match((await row.textContent()) ?? '', new RegExp(aliceOpenid));
    await row.click();
    await page.waitForSelector('#conv-detail .msg.assistant');
    const answer = page.locator('#conv-detail .msg.assistant').first();
    assert.match((await answer.locator('.msg-text').textContent()) ?? '', /7 天内可以申请无理由退货/);
    assert.match((await answer.locator('.sources').textContent()) ?? '', /售后政策/);
    assert.match((await answer.locator('.msg-meta').textContent()) ?? '', /tokens 输入 \d+ · 输出 \d+/);
    assert.equal(await page.locator('#conv-detail .msg.user .msg-text').textContent(), '退货期限是多久？');
    assert.equal(await answer.locator('.rating').count(), 1, "the user's rating is shown under the answer");
    const rating = (await answer.locator('.rating').textContent()) ?? '';
    assert.match(rating, /👎 用户点踩/);
    assert.match(rating, /没说清楚<b>要不要运费<\/b>/, 'the comment is shown as text');
    await shot('admin-conversation');
    assert.deepEqual(pageErrors, []);
  });

  it('a question with HTML in it is shown as text, and nothing of it runs', async () => {
    await page.fill('#conv-q', '');
    await page.fill('#conv-openid', bobOpenid);
    await page.click('#conv-filter button[type=submit]');
    await page.waitForFunction(() => document.querySelectorAll('#conv-list .row.conv').length === 1);
    await page.locator('#conv-list .row.conv').first().click();
    await page.waitForFunction(() => document.querySelectorAll('#conv-detail .msg').length === 4);
    const questions = await page.locator('#conv-detail .msg.user .msg-text').allTextContents();
    assert.deepEqual(questions, ['你好', HOSTILE]);
    assert.match((await page.locator('#conv-detail .msg.assistant').last().textContent()) ?? '', /<script>window.__pwned=2<\/script>/);
    assert.equal(await page.locator('#conv-detail img, #conv-detail script, #conv-list img').count(), 0);
    assert.equal(await page.evaluate(() => window.__pwned), undefined);
    assert.deepEqual(pageErrors, []);
  });

  it('on a phone the open conversation takes the screen and nothing scrolls sideways', async () => {
    await page.setViewportSize(PHONE);
    try {
      assert.equal(await page.isVisible('#conv-detail'), true);
      assert.equal(await page.isVisible('#conv-list'), false, 'the list hides behind the conversation');
      assert.deepEqual(await overflowing(), [], 'nothing sticks out sideways');
      await shot('admin-conversation-phone');
      await page.click('#conv-detail .back');
      assert.equal(await page.isVisible('#conv-list'), true);
      await shot('admin-conversations-phone');
    } finally {
      await page.setViewportSize(LAPTOP);
    }
  });

  it('用量: a per-day chart of chats and tokens, and the per-user table', async () => {
    await openTab('usage');
    await page.waitForSelector('#usage-charts svg.chart');
    assert.equal(await page.locator('#usage-charts figure').count(), 2);
    assert.ok((await page.locator('#usage-charts svg.chart rect').count()) >= 2, 'bars for today');
    const totals = (await page.textContent('#usage-totals')) ?? '';
    assert.match(totals, /3\s*对话/, totals);
    const users = (await page.textContent('#usage-users')) ?? '';
    assert.ok(users.includes(aliceOpenid) && users.includes(bobOpenid), users);
    await shot('admin-usage');
    await page.setViewportSize(PHONE);
    try {
      // redrawn for the narrow screen: one SVG unit per pixel, so the axis text keeps its size
      await page.waitForFunction(() => Math.abs(document.querySelector('#usage-charts svg.chart').viewBox.baseVal.width - document.querySelector('#usage-charts svg.chart').getBoundingClientRect().width) < 2);
      assert.deepEqual(await overflowing(), [], 'nothing sticks out sideways');
      await shot('admin-usage-phone');
    } finally {
      await page.setViewportSize(LAPTOP);
    }
    assert.deepEqual(pageErrors, []);
  });

  it('反馈: a disliked answer opens with the passages it cited', async () => {
    await openTab('feedback');
    await page.selectOption('#fb-rating', 'down');
    await page.waitForFunction(() => !/加载中/.test(document.querySelector('#fb-list')?.textContent ?? ''));
    assert.equal(await page.locator('#fb-list .row.fb').count(), 1, (await page.textContent('#fb-list')) ?? '');
    const item = page.locator('#fb-list .row.fb.down').first();
    assert.match((await item.locator('.fb-q').textContent()) ?? '', /退货期限是多久/);
    assert.match((await item.locator('.comment').textContent()) ?? '', /没说清楚<b>要不要运费<\/b>/);
    assert.equal(await item.locator('.sources').isVisible(), true, 'open at once');
    assert.match((await item.locator('.sources').textContent()) ?? '', /售后政策/);
    await shot('admin-feedback');
    await item.locator('button.goto').click();
    await page.waitForSelector('#tab-conversations:not([hidden]) #conv-detail .msg.assistant .rating.down');
    assert.match(page.url(), /#conversations$/);
    assert.equal(await page.locator('#conv-detail .msg.user .msg-text').first().textContent(), '退货期限是多久？');
    assert.deepEqual(pageErrors, []);
  });

  it('知识库: a dropped file uploads with a progress bar, is listed, and the search box finds it', async () => {
    await openTab('kb');
    await page.waitForSelector('#kb-docs td.doc-name');
    assert.deepEqual(await page.locator('#kb-docs td.doc-name').allTextContents(), ['售后政策.md']);
    // a real drop event carrying a File, as the browser fires it when a file is dragged in
    await page.evaluate(() => {
      const transfer = new DataTransfer();
      const text = [
        '# 保修条款',
        '## 整机保修\n\n整机保修期为一年，一年内非人为损坏免费维修。',
        '## 电池\n\n电池保修六个月，鼓包、无法充电可免费更换。',
        '## 不在保修范围\n\n进水、摔落、私自拆机造成的损坏不在保修范围内，可付费维修。',
        '## 送修方式\n\n' + '在“我的订单”中申请售后，选择寄修或到店维修，寄修运费由我们承担。'.repeat(40),
      ].join('\n\n');
      transfer.items.add(new File([text], '保修条款.md', { type: 'text/markdown' }));
      const zone = document.querySelector('#kb-drop');
      zone.dispatchEvent(new window.DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
      zone.dispatchEvent(new window.DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    });
    await page.waitForSelector('#kb-upload.done');
    assert.equal(await page.textContent('#kb-upload-name'), '保修条款.md');
    assert.equal(await page.$eval('#kb-progress', (el: any) => el.value), 1);
    assert.match((await page.textContent('#kb-upload-status')) ?? '', /已导入 · \d+ 个段落/);
    await page.waitForFunction(() => document.querySelectorAll('#kb-docs td.doc-name').length === 2);
    assert.match((await page.textContent('#kb-count')) ?? '', /2 个文档/);

    await page.fill('#kb-q', '整机保修多久');
    await page.click('#kb-search-form button');
    await page.waitForSelector('#kb-hits .hit');
    const first = page.locator('#kb-hits .hit').first();
    assert.match((await first.locator('.hit-head').textContent()) ?? '', /保修条款/);
    assert.match((await first.locator('.score').textContent()) ?? '', /得分 \d+\.\d{3} · 相关度 \d\.\d{2}/);
    await shot('admin-kb');
    await page.setViewportSize(PHONE);
    try {
      assert.deepEqual(await overflowing(), [], 'nothing sticks out sideways');
      await shot('admin-kb-phone');
    } finally {
      await page.setViewportSize(LAPTOP);
    }
    assert.deepEqual(pageErrors, []);
  });

  it('知识库: delete asks first; cancelling keeps the document, confirming removes it', async () => {
    const row = page.locator('#kb-docs tr', { hasText: '保修条款.md' });
    page.once('dialog', (dialog) => void dialog.dismiss());
    await row.locator('button.delete').click();
    assert.equal(await page.locator('#kb-docs td.doc-name').count(), 2);
    const message = new Promise<string>((resolve) =>
      page.once('dialog', (dialog) => {
        resolve(dialog.message());
        void dialog.accept();
      }),
    );
    await row.locator('button.delete').click();
    assert.match(await message, /确定删除文档「保修条款.md」/);
    await page.waitForFunction(() => document.querySelectorAll('#kb-docs td.doc-name').length === 1);
    assert.deepEqual(await gw.knowledgeBase!.listDocuments().then((docs) => docs.map((d) => d.name)), ['售后政策.md']);
    assert.deepEqual(pageErrors, []);
  });

  it('导出: downloads every message as JSON Lines and CSV through a blob link (no token in any URL)', async () => {
    await openTab('export');
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    const download = page.waitForEvent('download');
    await page.click('#export-submit');
    const file = await download;
    assert.match(file.url(), /^blob:/);
    assert.equal(file.suggestedFilename(), 'messages.jsonl');
    const lines = readFileSync((await file.path())!, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    assert.equal(lines.length, 6, '3 questions and 3 answers');
    assert.ok(lines.some((line) => JSON.stringify(line).includes('退货期限是多久')));
    assert.match((await page.textContent('#export-status')) ?? '', /已下载 messages\.jsonl/);
    assert.ok(requests.some((url) => url.includes('/admin/api/export?format=jsonl')));
    assert.ok(requests.every((url) => !url.includes(encodeURIComponent(ADMIN_TOKEN)) && !/token/i.test(url)), requests.join('\n'));
    const csv = page.waitForEvent('download');
    await page.check('input[name=export-format][value=csv]');
    await page.click('#export-submit');
    const csvFile = await csv;
    assert.equal(csvFile.suggestedFilename(), 'messages.csv');
    const table = readFileSync((await csvFile.path())!, 'utf8');
    assert.match(table.split('\r\n')[0]!, /^\uFEFF?conversation_id,openid,message_id,role,status/, 'the header row (after the BOM Excel needs)');
    assert.ok(table.includes(HOSTILE.replace(/"/g, '""')), 'the hostile question is in the CSV, quoted');
    await shot('admin-export');
    await page.setViewportSize(PHONE);
    try {
      await shot('admin-export-phone');
    } finally {
      await page.setViewportSize(LAPTOP);
    }
    assert.deepEqual(pageErrors, []);
  });

  it('对话: a date range filters, and 加载更多 pages through a long list', async () => {
    await openTab('conversations');
    await page.fill('#conv-q', '');
    await page.fill('#conv-openid', '');
    await page.fill('#conv-from', '2099-01-01');
    await page.click('#conv-filter button[type=submit]');
    await page.waitForFunction(() => /没有符合条件的对话/.test(document.querySelector('#conv-list')?.textContent ?? ''));
    await page.fill('#conv-from', '');

    // carol has 25 conversations (written through the history store, as the chat service does)
    const carol = 'dev_admin_e2e_carol';
    for (let i = 0; i < 25; i++) {
      await gw.stores.history.clear(carol);
      await gw.stores.history.append(carol, { id: `carol-q${i}`, role: 'user', content: `第 ${i} 个问题：会员积分怎么用？`, status: 'complete', createdAt: Date.now() });
      await gw.stores.history.append(carol, { id: `carol-a${i}`, role: 'assistant', content: `第 ${i} 个回答`, status: 'complete', createdAt: Date.now() });
    }
    await page.fill('#conv-openid', carol);
    await page.click('#conv-filter button[type=submit]');
    await page.waitForFunction(() => document.querySelectorAll('#conv-list .row.conv').length === 20);
    assert.equal(await page.isVisible('#conv-more'), true);
    await page.click('#conv-more');
    await page.waitForFunction(() => document.querySelectorAll('#conv-list .row.conv').length === 25);
    assert.equal(await page.isVisible('#conv-more'), false, 'no more pages');
    const titles = await page.locator('#conv-list .row-title').allTextContents();
    assert.equal(new Set(titles).size, 25, 'no conversation twice');
    assert.match(titles[0]!, /第 24 个问题/, 'newest first');
    assert.deepEqual(pageErrors, []);
  });

  it('a 401 later (the token changed on the server) returns to the sign-in form; sign-out forgets the token', async () => {
    await page.evaluate(() => sessionStorage.setItem('wag_admin_token', 'rotated-away'));
    await page.click('#tabs [data-tab=usage]');
    await page.waitForSelector('#signin-error:not([hidden])');
    assert.equal(await page.textContent('#signin-error'), '管理令牌错误或已失效，请重新登录');
    assert.equal(await page.isVisible('#app'), false);
    pageErrors.splice(0);

    await page.fill('#token', ADMIN_TOKEN);
    await page.click('#signin-submit');
    await page.waitForSelector('#tab-usage:not([hidden])', { timeout: 5_000 });
    await page.click('#signout');
    await page.waitForSelector('#signin-form');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('wag_admin_token')), null);
    assert.equal(await page.isVisible('#app'), false);
    assert.equal(await page.isVisible('#signin-error'), false);
    assert.deepEqual(pageErrors, []);
  });
});
