import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { openChromium, type ChromiumPage } from './support/chromium.js';
import { startFakeLlmServer, type FakeLlmServer } from './support/fake-llm-server.js';
import { startGateway, type RunningGateway } from './support/start-gateway.js';
import { WordChecker } from './support/word-checker.js';

/**
 * The browser console (/console) in real headless Chromium against the real gateway: log in
 * with a dev code, ask, watch the answer stream in, stop an answer, view the history.
 * Chromium is Debian's (`apt-get install -y chromium`), driven by playwright-core.
 */
/** browser globals inside page.evaluate callbacks (the project compiles without the DOM lib) */
declare const window: any, document: any, MutationObserver: any, getComputedStyle: any;

const ADMIN_TOKEN = 'e2e-admin-token';
const ANSWER = '## 控制台回答\n\n你好，**控制台**！<img src=x onerror="window.__pwned=1">\n\n- 流式显示\n- 原始帧可见\n\n| 项 | 值 |\n|---|---|\n| 协议 | WebSocket |';

describe('browser console, end to end in headless Chromium', () => {
  let llm: FakeLlmServer;
  let gw: RunningGateway;
  let consoleUrl: string;
  let browser: ChromiumPage;
  let page: Page;
  let pageErrors: string[];

  before(async () => {
    llm = await startFakeLlmServer({ apiKey: 'test-key', deltaLatencyMs: 25, deltaChars: 2 });
    gw = await startGateway({
      llm,
      knowledgeBase: { files: { '售后政策.md': '# 售后政策\n\n## 退货\n\n自签收之日起 7 天内可以申请无理由退货。' } },
      env: { ADMIN_TOKEN, KB_LOAD_SAMPLE: 'false' },
      // content security on: only the retraction test's answer holds the word
      contentChecker: new WordChecker({ words: ['危险内容'] }),
      contentSecurity: { mode: 'both', failOpen: false },
    });
    consoleUrl = `${gw.url}/console`; // served by the gateway itself (CONSOLE_ENABLED, on by default)
    browser = await openChromium({ suite: 'console-e2e' });
    ({ page, errors: pageErrors } = browser);
  });

  after(async () => {
    await browser?.close();
    await gw?.stop();
    await llm?.close();
  });

  it('logs in with a dev code, sends a question, and shows the answer streaming in', async () => {
    llm.setReply(() => ANSWER);
    await page.goto(consoleUrl);
    await page.fill('#code', 'e2e_console_user');
    await page.click('#login');
    await page.waitForSelector('#status.ready');
    assert.match(await page.textContent('#who') ?? '', /openid dev_/);

    // record every length the answer goes through while it streams
    await page.evaluate(() => {
      window.__lengths = [];
      new MutationObserver(() => {
        const answer = document.querySelector('#messages .msg.ai:last-child .answer');
        if (answer) window.__lengths.push(answer.textContent.length);
      }).observe(document.querySelector('#messages'), { subtree: true, childList: true, characterData: true });
    });
    await page.fill('#query', '你好，控制台');
    await page.press('#query', 'Enter');
    await page.waitForSelector('#messages .msg.ai.streaming');
    assert.equal(await page.isEnabled('#cancel'), true, 'stop is available while streaming');
    await page.waitForFunction(() => (document.querySelector('#messages .msg.ai.streaming .answer')?.textContent ?? '').length > 8);
    await browser.shot('console-streaming');
    await page.waitForSelector('#messages .msg.ai.done.complete', { timeout: 15_000 });

    const lengths: number[] = await page.evaluate(() => window.__lengths);
    // (not monotonic: a half-streamed table shows its pipes until its delimiter row arrives)
    const distinct = [...new Set(lengths)];
    assert.ok(distinct.length >= 4, `the answer grew in steps: ${distinct.join(',')}`);

    const answer = page.locator('#messages .msg.ai').last();
    assert.equal(await answer.locator('.ai-label').textContent(), 'AI 生成');
    assert.equal(await answer.locator('.answer h2').textContent(), '控制台回答');
    assert.equal(await answer.locator('.answer strong').textContent(), '控制台');
    assert.equal(await answer.locator('.answer td').last().textContent(), 'WebSocket');
    const text = (await answer.locator('.answer').textContent()) ?? '';
    assert.match(text, /<img src=x onerror="window.__pwned=1">/, 'the model\'s HTML is shown as text');
    assert.equal(await page.locator('#messages img').count(), 0);
    assert.equal(await page.evaluate(() => window.__pwned), undefined);
    assert.equal(await page.isEnabled('#cancel'), false);

    // the raw frames of the exchange are all there
    const frames = await page.locator('#frames li b').allTextContents();
    for (const type of ['connected', 'login', 'login_response', 'chat', 'chat_processing', 'chat_delta', 'chat_response']) {
      assert.ok(frames.includes(type), `frame ${type} shown`);
    }
    // the outgoing login carries the wx.login `code` (a string): not a failure code, not painted red
    const login = page.locator('#frames li.out.t-login');
    assert.equal(await login.count(), 1);
    assert.equal(await login.evaluate((el: any) => el.classList.contains('err')), false, 'an outgoing login is not an error');
    assert.equal(await page.locator('#frames li.err').count(), 0, 'nothing failed in this exchange');
    await browser.shot('console', { fullPage: true });
    assert.deepEqual(pageErrors, []);
  });

  it('stops an answer, then shows the stored history', async () => {
    llm.setReply(() => '一个很长、会被停止的回答。'.repeat(40));
    // long and self-contained: a short question would count as a follow-up and be rewritten first
    await page.fill('#query', '请写一段很长的说明文字给我');
    await page.click('#send');
    await page.waitForFunction(() => (document.querySelector('#messages .msg.ai:last-child .answer')?.textContent ?? '').length > 10);
    await page.click('#cancel');
    await page.waitForSelector('#messages .msg.ai.done.cancelled');
    assert.equal(await page.locator('#messages .msg.ai').last().locator('.note').textContent(), '已停止生成');
    await page.click('#history');
    await page.waitForFunction(() => document.querySelectorAll('#messages .msg').length === 4 && !document.querySelector('.streaming'));
    const roles = await page.$$eval('#messages .msg', (els: any[]) => els.map((el) => (el.classList.contains('user') ? 'user' : 'ai')));
    assert.deepEqual(roles, ['user', 'ai', 'user', 'ai']);
    assert.equal(await page.locator('#messages .msg.ai.cancelled').count(), 1, 'the stopped answer is stored as cancelled');
    await browser.shot('console-history', { fullPage: true });
    assert.deepEqual(pageErrors, []);
  });

  it('a server error frame is painted as an error in the raw frames panel', async () => {
    await page.fill('#raw', '{"type":"no_such_type"}');
    await page.press('#raw', 'Enter');
    await page.waitForSelector('#frames li.in.t-error');
    assert.equal(await page.locator('#frames li.in.t-error').last().evaluate((el: any) => el.classList.contains('err')), true);
    assert.equal(await page.locator('#frames li.out.err').count(), 0, 'frames we send are never painted as errors');
  });

  it('answers that cited the knowledge base keep their sources after a reload (history_response)', async () => {
    // a follow-up is first rewritten into a standalone search query (a separate model call)
    llm.setReply((body) => (String(body.messages[0]?.content).includes('检索改写') ? '退货期限是多久？' : '签收后 7 天内可以无理由退货 [1]。'));
    await page.fill('#query', '退货期限是多久？');
    await page.click('#send');
    await page.waitForSelector('#messages .msg.ai.done.complete:last-child .sources', { timeout: 15_000 });
    const live = (await page.locator('#messages .msg.ai').last().locator('.sources').textContent()) ?? '';
    assert.match(live, /售后政策/);

    await page.reload(); // logs back in with the stored session_id, then loads the history
    await page.waitForSelector('#status.ready');
    await page.waitForFunction(() => document.querySelectorAll('#messages .msg.ai').length > 0);
    const reloaded = page.locator('#messages .msg.ai').last();
    assert.match((await reloaded.locator('.answer').textContent()) ?? '', /7 天内可以无理由退货/);
    assert.equal(await reloaded.locator('.sources').count(), 1, 'the sources are still under the answer');
    assert.equal(await reloaded.locator('.sources').textContent(), live, 'shown as when the answer was live');
    await browser.shot('console-history-sources', { fullPage: true });
    assert.deepEqual(pageErrors, []);
  });

  it('on a 390 px wide phone the status badge stays on one line', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await page.waitForSelector('#status.ready');
      const measure = () =>
        page.$eval('#status', (el: any) => {
          const box = el.getBoundingClientRect();
          return { height: box.height, right: box.right, line: parseFloat(getComputedStyle(el).lineHeight), text: el.textContent };
        });
      // the longest text the badge shows, besides the current one
      const longest = async () => {
        await page.$eval('#status', (el: any) => (el.textContent = '已断开（1006）'));
        return measure();
      };
      await browser.shot('console-390');
      for (const badge of [await measure(), await longest()]) {
        assert.ok(badge.height < badge.line * 1.5, `"${badge.text}" fits one line: ${badge.height}px tall, line ${badge.line}px`);
        assert.ok(badge.right <= 390, `"${badge.text}" stays inside the viewport (right edge at ${badge.right}px)`);
      }
    } finally {
      await page.setViewportSize({ width: 1280, height: 860 });
    }
  });

  it('searches the knowledge base with the admin token; a wrong token gets a Chinese error', async () => {
    await page.fill('#admin-token', 'wrong-token');
    await page.fill('#kb-query', '退货期限');
    await page.click('#kb-form button');
    await page.waitForFunction(() => /管理令牌/.test(document.querySelector('#kb-results')?.textContent ?? ''));
    pageErrors.splice(0); // the 401 was the point

    await page.fill('#admin-token', ADMIN_TOKEN);
    await page.fill('#kb-query', '退货期限');
    await page.click('#kb-form button');
    await page.waitForSelector('#kb-results .hit');
    assert.match((await page.locator('#kb-results .hit').first().textContent()) ?? '', /售后政策/);
    await browser.shot('console-kb', { fullPage: true });
  });

  it('chat_retract: the streamed text gives way to the notice', async () => {
    llm.setReply(() => '这是一段安全的文字。'.repeat(25) + '然后出现危险内容。' + '之后还有很多安全的文字。'.repeat(40));
    await page.fill('#query', '请写一段很长的说明文字给我看看');
    await page.click('#send');
    await page.waitForFunction(() => (document.querySelector('#messages .msg.ai:last-child .answer')?.textContent ?? '').length > 10);
    await page.waitForSelector('#messages .msg.ai.done.retracted', { timeout: 15_000 });
    const answer = page.locator('#messages .msg.ai').last();
    assert.equal(await answer.locator('.answer').textContent(), '抱歉，这个回答包含不适合展示的内容，已撤回。');
    assert.equal(await answer.locator('.note').textContent(), '内容已撤回');
    assert.ok((await page.locator('#frames li b').allTextContents()).includes('chat_retract'));
    assert.doesNotMatch((await page.textContent('#messages')) ?? '', /危险内容/);
    await browser.shot('console-retract', { fullPage: true });
    assert.deepEqual(pageErrors, []);
  });

  it("shows a hostile document's title, name and snippet as text, in sources and in search", async () => {
    const hostile = '<img src=x onerror="window.__pwned=2">';
    const name = `${hostile}保修.md`;
    const upload = await fetch(`${gw.url}/admin/kb/documents?name=${encodeURIComponent(name)}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      body: `# ${hostile}保修条款\n\n## <script>window.__pwned=3</script>保修\n\n整机保修期为一年，<img src=x onerror="window.__pwned=4"> 一年内免费维修。`,
    });
    assert.equal(upload.status, 201);
    llm.setReply((body) => (String(body.messages[0]?.content).includes('检索改写') ? '整机保修期多久？' : '整机保修一年 [1]。'));
    await page.fill('#query', '整机保修期多久？');
    await page.click('#send');
    await page.waitForSelector('#messages .msg.ai.done.complete:last-child .sources', { timeout: 15_000 });
    const sources = (await page.locator('#messages .msg.ai').last().locator('.sources').textContent()) ?? '';
    assert.match(sources, /<img src=x onerror="window.__pwned=2">/, 'the title is shown as text');

    await page.fill('#kb-query', '整机保修');
    await page.click('#kb-form button');
    await page.waitForFunction(() => /保修/.test(document.querySelector('#kb-results')?.textContent ?? ''));
    assert.match((await page.locator('#kb-results').textContent()) ?? '', /<img src=x/);
    assert.equal(await page.locator('#messages img, #kb-results img, #messages script, #kb-results script').count(), 0);
    assert.equal(await page.evaluate(() => window.__pwned), undefined, 'no script of the document ran');
  });
});
