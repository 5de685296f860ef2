import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeLlmServer, type FakeLlmServer } from './support/fake-llm-server.js';
import { startGateway, type RunningGateway } from './support/start-gateway.js';
import { createWxEnvironment, type WxEnvironment } from './support/wx-shim.js';
import { plain, until } from './support/wait.js';

/**
 * docs/miniprogram.md §3 ("复制到已有的小程序") as a user would paste it: its app.js and page
 * blocks, verbatim but for the server URL, in a project whose lib/wag/ is our kit, run under
 * the wx shim against the real gateway. The page example once broke on the first question
 * (`messages[undefined].nodes`: the first answer event fires inside chat(), before the page
 * knew where the answer goes).
 */
const DOC = join(import.meta.dirname, '..', 'docs', 'miniprogram.md');
const KIT = join(import.meta.dirname, '..', 'miniprogram', 'lib');

/** The first fenced `lang` block of the doc containing `marker`, de-indented (blocks sit in a list). */
function docBlock(lang: string, marker: string): string {
  const text = readFileSync(DOC, 'utf8');
  for (const m of text.matchAll(/^( *)```(\w*)\n([\s\S]*?)^\1```/gm)) {
    const code = m[3]!.replace(new RegExp(`^ {0,${m[1]!.length}}`, 'gm'), '');
    if (m[2] === lang && code.includes(marker)) return code;
  }
  throw new Error(`no ${lang} block containing ${JSON.stringify(marker)} in ${DOC}`);
}

describe('docs/miniprogram.md §3: the app.js and page examples run as written', () => {
  let llm: FakeLlmServer;
  let gw: RunningGateway;
  let project: string;
  let env: WxEnvironment;

  before(async () => {
    llm = await startFakeLlmServer({ apiKey: 'test-key', deltaLatencyMs: 5, deltaChars: 1 });
    gw = await startGateway({ llm, env: { STREAM_COALESCE_MS: '0' } });
    project = mkdtempSync(join(tmpdir(), 'wag-doc-example-'));
    mkdirSync(join(project, 'lib'));
    symlinkSync(KIT, join(project, 'lib', 'wag')); // step 1: "把 miniprogram/lib/ 复制到 lib/wag/"
    mkdirSync(join(project, 'pages', 'chat'), { recursive: true });
    const appJs = docBlock('js', 'App({');
    assert.match(appJs, /require\('\.\/lib\/wag\/index\.js'\)/);
    writeFileSync(join(project, 'app.js'), appJs.replace('wss://your-domain.com/wechat/ws', gw.wsUrl));
    const pageJs = docBlock('js', 'Page({');
    assert.match(pageJs, /require\('\.\.\/\.\.\/lib\/wag\/index\.js'\)/);
    writeFileSync(join(project, 'pages', 'chat', 'chat.js'), pageJs);
  });
  after(async () => {
    env?.app?.chat.stop();
    await gw.stop();
    await llm.close();
    rmSync(project, { recursive: true, force: true });
  });

  it('asks a first and a second question; each answer streams into its own message', async () => {
    llm.setReply((body) => `答：${String(body.messages.at(-1)!.content)}，这是一段逐字显示的回答。`);
    env = createWxEnvironment({ root: project });
    env.launchApp(project);
    const page = env.openPage('pages/chat/chat');
    const toNodes = (text: string) => plain(env.require('lib/wag/markdown-nodes.js').toNodes(text));

    page.ask('第一个问题');
    assert.deepEqual(plain(page.data.messages.map((m: any) => m.role)), ['user', 'ai']);
    await until(() => page.latest?.done === true, 'the first answer');
    await until(() => JSON.stringify(page.data.messages[1].nodes) === JSON.stringify(toNodes('答：第一个问题，这是一段逐字显示的回答。')), 'the first answer on the page');

    page.ask('第二个问题');
    await until(() => page.latest?.done === true && page.latest.query === '第二个问题', 'the second answer');
    await until(() => JSON.stringify(page.data.messages[3]?.nodes) === JSON.stringify(toNodes('答：第二个问题，这是一段逐字显示的回答。')), 'the second answer on the page');

    const messages = plain(page.data.messages);
    assert.deepEqual(messages.map((m: any) => m.role), ['user', 'ai', 'user', 'ai']);
    assert.deepEqual([messages[0].text, messages[2].text], ['第一个问题', '第二个问题']);
    assert.deepEqual(messages[1].nodes, toNodes('答：第一个问题，这是一段逐字显示的回答。'), 'the second answer left the first one alone');
    // every setData path names a real message: nothing like messages[undefined].nodes
    const keys = env.renders.filter((r) => r.page === page).flatMap((r) => r.keys);
    assert.deepEqual(keys.filter((k) => !/^messages\[\d+\](\.nodes)?$/.test(k)), []);
    assert.ok(keys.filter((k) => k === 'messages[1].nodes').length > 2, 'the first answer rendered as it streamed');
    assert.deepEqual(env.toasts, []);
  });
});
