import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startFakeLlmServer, type FakeLlmServer } from './support/fake-llm-server.js';
import { startGateway, type RunningGateway } from './support/start-gateway.js';
import { createWxEnvironment } from './support/wx-shim.js';
import { plain, until } from './support/wait.js';
import { WordChecker } from './support/word-checker.js';

/**
 * The client kit (WebSocket and HTTP fallback, under the wx shim) against a real gateway with
 * content security on: a withdrawn answer becomes the notice, a refused question a toast.
 */
const ROOT = join(import.meta.dirname, '..', 'miniprogram');
const NOTICE = '抱歉，这个回答包含不适合展示的内容，已撤回。';
const RISKY_REPLY = '这是一个安全的句子。'.repeat(25) + '接下来是危险内容。' + '后面还有很多安全的句子。'.repeat(50);

function kit(create: (env: ReturnType<typeof createWxEnvironment>) => any) {
  const env = createWxEnvironment({ root: ROOT });
  const client = create(env);
  const answers: any[] = [];
  client.on('answer', (a: unknown) => answers.push(plain(a)));
  return { client, answers, finals: () => answers.filter((a) => a.done) };
}

describe('mini-program client kit: content security', () => {
  let llm: FakeLlmServer;
  let gw: RunningGateway;
  const stop: Array<() => void> = [];

  before(async () => {
    llm = await startFakeLlmServer({ apiKey: 'test-key', deltaLatencyMs: 3, deltaChars: 2 });
    const checker = new WordChecker({ words: ['违禁词', '危险内容'] });
    gw = await startGateway({ llm, contentChecker: checker, contentSecurity: { mode: 'both', failOpen: false }, env: { STREAM_COALESCE_MS: '0' } });
  });
  after(async () => {
    for (const s of stop) s();
    await gw.stop();
    await llm.close();
  });

  for (const transport of ['ws', 'http'] as const) {
    it(`${transport}: chat_retract replaces what was shown with the notice; later frames do not bring the text back`, async () => {
      llm.setReply(() => RISKY_REPLY);
      const h = kit((env) =>
        transport === 'ws'
          ? env.require('lib/chat-client.js').createChatClient({ url: gw.wsUrl })
          : env.require('lib/http-chat-client.js').createHttpChatClient({ baseUrl: gw.url }),
      );
      if (transport === 'ws') {
        h.client.start();
        stop.push(() => h.client.stop());
      }
      h.client.chat('讲讲');
      await until(() => h.finals().length === 1, 'the answer');
      const retracted = h.answers.find((a) => a.retracted);
      assert.ok(retracted, 'a chat_retract reached the page');
      assert.deepEqual([retracted.text, retracted.status, retracted.done], [NOTICE, 'retracted', false]);
      assert.ok(h.answers.some((a) => a.index !== undefined), 'deltas were shown before');
      const after = h.answers.slice(h.answers.indexOf(retracted) + 1);
      assert.ok(after.every((a) => a.text === NOTICE), 'nothing after the retraction shows other text');
      const final = h.finals()[0];
      assert.deepEqual([final.text, final.status, final.error], [NOTICE, 'retracted', null]);
    });
  }

  it('a refused question ends the answer as failed with a Chinese toast', async () => {
    const h = kit((env) => env.require('lib/chat-client.js').createChatClient({ url: gw.wsUrl }));
    h.client.start();
    stop.push(() => h.client.stop());
    h.client.chat('违禁词');
    await until(() => h.finals().length === 1, 'the answer');
    const final = h.finals()[0];
    assert.equal(final.status, 'failed');
    assert.deepEqual([final.error.code, final.error.reason, final.error.text], [403, 'content_blocked', '问题包含不当内容，请换个问法']);
  });
});
