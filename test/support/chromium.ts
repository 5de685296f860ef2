import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install -y chromium`); playwright-core brings no browser of its own */
export const CHROMIUM = '/usr/bin/chromium';
/** headless without a sandbox (tests run as root) and without background traffic to Google */
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
/** the laptop size every page suite starts at */
export const LAPTOP = { width: 1280, height: 860 } as const;

export interface OpenChromiumOptions {
  /** screenshots go to `test-output/<suite>/` at the repo root */
  suite: string;
  /** default LAPTOP */
  viewport?: { width: number; height: number };
  locale?: string;
  acceptDownloads?: boolean;
  /** count responses with status ≥ 400 as page errors too (default true) */
  httpErrors?: boolean;
}

export interface ChromiumPage {
  context: BrowserContext;
  page: Page;
  /**
   * Uncaught page errors, console errors and (unless `httpErrors: false`) failed responses, as
   * they happen: a suite asserts it is empty, and empties it (`splice(0)`) after an expected 401.
   */
  errors: string[];
  /** a PNG of the page into `test-output/<suite>/<name>.png` */
  shot(name: string, options?: { fullPage?: boolean }): Promise<void>;
  /** closes the browser and removes its profile folder */
  close(): Promise<void>;
}

/**
 * Real headless Chromium with a throwaway profile and one page that records its errors.
 *
 * @example
 * const browser = await openChromium({ suite: 'console-e2e' });
 * await browser.page.goto(`${gw.url}/console`);
 * await browser.shot('console', { fullPage: true });
 * assert.deepEqual(browser.errors, []);
 * await browser.close();
 */
export async function openChromium(options: OpenChromiumOptions): Promise<ChromiumPage> {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get update && apt-get install -y chromium`);
  const output = join(import.meta.dirname, '..', '..', 'test-output', options.suite);
  mkdirSync(output, { recursive: true });
  const userDataDir = mkdtempSync(join(tmpdir(), 'wag-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: options.viewport ?? LAPTOP,
      ...(options.locale !== undefined ? { locale: options.locale } : {}),
      ...(options.acceptDownloads !== undefined ? { acceptDownloads: options.acceptDownloads } : {}),
    });
  } catch (error) {
    rmSync(userDataDir, { recursive: true, force: true });
    throw error;
  }
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  if (options.httpErrors ?? true) {
    page.on('response', (response) => {
      if (response.status() >= 400) errors.push(`${response.status()} ${response.url()}`);
    });
  }
  return {
    context,
    page,
    errors,
    shot: async (name, shotOptions = {}) => {
      await page.screenshot({ path: join(output, `${name}.png`), ...shotOptions });
    },
    close: async () => {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
