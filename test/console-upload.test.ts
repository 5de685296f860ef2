import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startFakeLlmServer, type FakeLlmServer } from './support/fake-llm-server.js';
import { magickImage } from './support/real-media.js';
import { startGateway, type RunningGateway } from './support/start-gateway.js';

/**
 * The console's photo questions (console/console-upload.js) in real headless Chromium against
 * the real gateway: an ImageMagick PNG is uploaded, shown as a thumbnail, and sent with the next
 * question; a text file named .png is refused with a Chinese toast. Under the console's strict CSP.
 */
declare const document: any;

const CHROMIUM = '/usr/bin/chromium';

describe('browser console: attaching an image to a question', () => {
  let llm: FakeLlmServer;
  let gw: RunningGateway;
  let context: BrowserContext;
  let page: Page;
  let userDataDir: string;
  const pageErrors: string[] = [];

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing`);
    llm = await startFakeLlmServer({ apiKey: 'test-key' });
    gw = await startGateway({ llm, env: { KB_LOAD_SAMPLE: 'false', USER_UPLOADS_PER_MINUTE: '0' } });
    userDataDir = mkdtempSync(join(tmpdir(), 'wag-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
  });

  after(async () => {
    await context?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
    await gw?.stop();
    await llm?.close();
  });

  it('uploads the picked image, shows its thumbnail, and the model receives it with the question', async () => {
    await page.goto(`${gw.url}/console`);
    await page.fill('#code', 'console_upload_user');
    await page.click('#login');
    await page.waitForSelector('#status.ready');
    await page.setInputFiles('#image-file', { name: 'photo.png', mimeType: 'image/png', buffer: magickImage(160, 120, 'png') });
    await page.waitForSelector('#attachments .attachment.uploaded img[src^="data:image/png"]');
    const before = llm.visionRequests().length;
    await page.fill('#query', '图片里是什么？');
    await page.click('#send');
    await page.waitForSelector('#messages .msg.ai.done.complete', { timeout: 15_000 });
    assert.match((await page.textContent('#messages .msg.ai:last-child .answer')) ?? '', /收到：图片里是什么？/);
    const sent = llm.visionRequests().slice(before);
    assert.equal(sent.length, 1, 'the question went to the model with its image');
    const user = (sent[0]!.body.messages as Array<{ role: string; content: unknown }>).filter((m) => m.role === 'user').at(-1)!;
    const parts = user.content as Array<{ type: string; image_url?: { url: string } }>;
    assert.deepEqual(parts.map((p) => p.type), ['text', 'image_url']);
    assert.ok(parts[1]!.image_url!.url.startsWith('data:image/'));
    assert.equal(await page.evaluate(() => document.querySelectorAll('#attachments .attachment').length), 0, 'the attachment went with the question');
  });

  it('a text file named .png is refused (415) with a Chinese toast, and the question waits until it is removed', async () => {
    await page.setInputFiles('#image-file', { name: 'fake.png', mimeType: 'image/png', buffer: Buffer.from('just some text, not a picture') });
    await page.waitForSelector('#attachments .attachment.failed');
    await page.waitForFunction(() => /[\u4e00-\u9fff]/.test(document.getElementById('toast')?.textContent ?? ''));
    const asked = llm.requests.length;
    await page.fill('#query', '这张呢？');
    await page.click('#send');
    await page.waitForFunction(() => /图片还在上传或上传失败/.test(document.getElementById('toast')?.textContent ?? ''));
    assert.equal(llm.requests.length, asked, 'nothing was asked with a failed upload');
    await page.click('#attachments .attachment button');
    await page.click('#send');
    await page.waitForFunction(() => document.querySelectorAll('#messages .msg.ai.done.complete').length === 2, undefined, { timeout: 15_000 });
    assert.deepEqual(pageErrors.filter((e) => !/415|Failed to load resource/.test(e)), [], 'no script errors, no CSP violations');
  });
});
