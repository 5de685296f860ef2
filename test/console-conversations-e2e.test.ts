import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { openChromium, type ChromiumPage } from './support/chromium.js';
import { startGateway, type RunningGateway } from './support/start-gateway.js';

/**
 * The console's conversation list, 👍/👎 and suggestion chips in real headless Chromium
 * against the real gateway: offline (no model) with the sample knowledge base and
 * SUGGESTIONS=on, so chips are the sample documents' neighbouring headings.
 */
/** browser globals inside page.evaluate callbacks (the project compiles without the DOM lib) */
declare const document: any, window: any;

const Q1 = 'socket 合法域名怎么配置？';
const Q2 = '连接过一会儿就断开怎么办？';

describe('browser console: conversations, ratings, suggestions (headless Chromium)', () => {
  let gw: RunningGateway;
  let browser: ChromiumPage;
  let page: Page;
  let pageErrors: string[];
  const dialogs: string[] = [];
  let acceptDialogs = true;

  const titles = () => page.$$eval('#conversations .conv .conv-title', (els: any[]) => els.map((el) => el.textContent));
  const activeTitle = () => page.$eval('#conversations .conv.active .conv-title', (el: any) => el.textContent).catch(() => null);
  const lastAnswer = () => page.locator('#messages .msg.ai').last();
  const pressed = (answer: ReturnType<typeof lastAnswer>) =>
    answer.evaluate((el: any) => ['up', 'down'].filter((v) => el.querySelector(`.rate-${v}`)?.getAttribute('aria-pressed') === 'true'));

  async function ask(query: string): Promise<void> {
    const answers = await page.locator('#messages .msg.ai.done').count();
    await page.fill('#query', query);
    await page.click('#send');
    await page.waitForFunction((n: number) => document.querySelectorAll('#messages .msg.ai.done').length > n && !document.querySelector('.streaming'), answers);
  }

  before(async () => {
    gw = await startGateway({ knowledgeBase: true, env: { SUGGESTIONS: 'on', KB_LOAD_SAMPLE: 'true' } });
    // screenshots beside the console's own; this suite counts script and console errors only
    browser = await openChromium({ suite: 'console-e2e', httpErrors: false });
    ({ page, errors: pageErrors } = browser);
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void (acceptDialogs ? dialog.accept() : dialog.dismiss());
    });
  });

  after(async () => {
    await browser?.close();
    await gw?.stop();
  });

  it('two conversations: list, switch, rate (changeable), chips, reload keeps the rating, delete with confirmation', async () => {
    await page.goto(`${gw.url}/console`);
    await page.fill('#code', 'e2e_conversations');
    await page.click('#login');
    await page.waitForSelector('#status.ready');
    await page.waitForSelector('#conversations .conv-empty');

    // the first conversation: an answer from the sample documents, with chips under it
    await ask(Q1);
    await page.waitForSelector('#messages .chips .chip');
    const chips = await page.locator('#messages .chips .chip').allTextContents();
    assert.ok(chips.length >= 1 && chips.length <= 3, JSON.stringify(chips));
    const frame = await page.locator('#frames li.t-chat_suggestions').last().textContent();
    for (const chip of chips) assert.ok(frame?.includes(JSON.stringify(chip)), `${chip} is one of the frame's suggestions`);
    await page.waitForFunction(() => document.querySelectorAll('#conversations .conv').length === 1);
    assert.deepEqual(await titles(), [Q1]);
    assert.equal(await activeTitle(), Q1);

    // 👍, then changed to 👎
    await lastAnswer().locator('.rate-up').click();
    await page.waitForFunction(() => document.querySelector('#messages .msg.ai:last-of-type .rate-up, #messages .msg.ai .rate-up')?.getAttribute('aria-pressed') === 'true');
    assert.deepEqual(await pressed(lastAnswer()), ['up']);
    await lastAnswer().locator('.rate-down').click();
    await page.waitForFunction(() => [...document.querySelectorAll('#messages .msg.ai .rate-down')].some((b: any) => b.getAttribute('aria-pressed') === 'true'));
    assert.deepEqual(await pressed(lastAnswer()), ['down']);
    await browser.shot('conversations-first');

    // a second conversation
    await page.click('#clear');
    await page.waitForFunction(() => document.querySelectorAll('#messages .msg').length === 0);
    await ask(Q2);
    await page.waitForFunction(() => document.querySelectorAll('#conversations .conv').length === 2);
    assert.deepEqual(await titles(), [Q2, Q1]);
    assert.equal(await activeTitle(), Q2);
    assert.deepEqual(await pressed(lastAnswer()), [], 'a new answer has no rating yet');

    // switch back to the first: its messages, with its rating
    await page.click(`#conversations .conv:nth-child(2) .conv-open`);
    await page.waitForFunction((q: string) => document.querySelector('#messages .msg.user')?.textContent === q, Q1);
    assert.equal(await page.locator('#messages .msg').count(), 2);
    assert.deepEqual(await pressed(lastAnswer()), ['down'], 'the rating comes back with history');
    assert.equal(await activeTitle(), Q1);
    await browser.shot('conversations-switched');

    // continue it with a chip (shown again under the reopened answer's follow-up)
    await ask('那 request 合法域名呢？');
    await page.waitForSelector('#messages .chips .chip');
    const chip = (await page.locator('#messages .chips .chip').first().textContent())!;
    await page.locator('#messages .chips .chip').first().click();
    await page.waitForFunction(() => document.querySelectorAll('#messages .msg.ai.done').length === 3 && !document.querySelector('.streaming'));
    // the old chips went away; new ones, if any, sit under the newest answer only
    assert.ok((await page.locator('#messages .chips').count()) <= 1);
    const chipsUnderNewest = await page.evaluate(() => {
      const chipsEl = document.querySelector('#messages .chips');
      const answers = document.querySelectorAll('#messages .msg.ai');
      return !chipsEl || chipsEl.previousElementSibling === answers[answers.length - 1];
    });
    assert.equal(chipsUnderNewest, true);
    assert.equal(await page.locator('#messages .msg.user').last().textContent(), chip);
    const sent = await page.locator('#frames li.out.t-chat').allTextContents();
    assert.ok(sent.slice(-2).every((f) => f.includes('"conversation_id"')), 'the follow-ups went to the opened conversation');
    await page.waitForFunction((q: string) => document.querySelector('#conversations .conv .conv-title')?.textContent === q, Q1);
    assert.match((await page.locator('#conversations .conv').first().locator('.conv-meta').textContent()) ?? '', /6 条$/);
    await browser.shot('conversations-chip');

    // reload: back in the conversation last asked in, the first answer still 👎
    await page.reload();
    await page.waitForSelector('#status.ready');
    await page.waitForFunction(() => document.querySelectorAll('#messages .msg.ai').length === 3);
    assert.deepEqual(await pressed(page.locator('#messages .msg.ai').first()), ['down']);
    await page.waitForFunction(() => document.querySelectorAll('#conversations .conv').length === 2);

    // delete the second: cancel keeps it, confirm removes it
    acceptDialogs = false;
    await page.click('#conversations .conv:nth-child(2) .conv-delete');
    assert.match(dialogs.at(-1) ?? '', /删除对话「连接过一会儿就断开怎么办？」/);
    await page.waitForTimeout(200);
    assert.equal(await page.locator('#conversations .conv').count(), 2);
    acceptDialogs = true;
    await page.click('#conversations .conv:nth-child(2) .conv-delete');
    await page.waitForFunction(() => document.querySelectorAll('#conversations .conv').length === 1);
    assert.deepEqual(await titles(), [Q1]);
    assert.equal(await page.locator('#messages .msg.ai').count(), 3, 'the conversation on screen stays');
    await browser.shot('conversations-deleted');
    assert.equal(await page.locator('#frames li.err').count(), 0, 'no error frame in the whole run');
    assert.deepEqual(pageErrors, []);
  });

  it('a hostile title is text in the list', async () => {
    await page.click('#clear');
    await page.waitForFunction(() => document.querySelectorAll('#messages .msg').length === 0);
    await ask('<img src=x onerror="window.__pwned=1">保修');
    await page.waitForFunction(() => /<img src=x/.test(document.querySelector('#conversations .conv .conv-title')?.textContent ?? ''));
    assert.equal(await page.locator('#conversations img').count(), 0);
    assert.equal(await page.evaluate(() => window.__pwned), undefined);
    assert.deepEqual(pageErrors, []);
  });
});
