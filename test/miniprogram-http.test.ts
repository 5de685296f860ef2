import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startFakeLlmServer, type FakeLlmServer } from './support/fake-llm-server.js';
import { startGateway, type RunningGateway } from './support/start-gateway.js';
import { createWxEnvironment, type WxEnvironmentOptions } from './support/wx-shim.js';
import { plain, seededRandom, until } from './support/wait.js';

/**
 * The HTTP fallback (lib/http-chat-client.js): POST /wechat/chat with stream:true read through
 * wx.request({ enableChunked }) — chunks re-split at arbitrary byte boundaries, no TextDecoder.
 */
const ROOT = join(import.meta.dirname, '..', 'miniprogram');



/** Splits every network chunk into 1–5 byte pieces; counts cuts that fall inside a character. */
function byteSplitter(seed: number) {
  const random = seededRandom(seed);
  const stats = { pieces: 0, midCharacter: 0 };
  const rechunk = (chunk: Uint8Array) => {
    const pieces: Uint8Array[] = [];
    for (let at = 0; at < chunk.length; ) {
      const size = 1 + Math.floor(random() * 5);
      pieces.push(chunk.subarray(at, at + size));
      at += size;
      if (at < chunk.length && (chunk[at]! & 0xc0) === 0x80) stats.midCharacter++;
    }
    stats.pieces += pieces.length;
    return pieces;
  };
  return { rechunk, stats };
}

function http(gw: RunningGateway, options: WxEnvironmentOptions = {}) {
  const env = createWxEnvironment({ root: ROOT, ...options });
  const client = env.require('lib/http-chat-client.js').createHttpChatClient({ baseUrl: gw.url });
  const answers: any[] = [];
  client.on('answer', (a: unknown) => answers.push(plain(a)));
  const finals = () => answers.filter((a) => a.done);
  const deltas = () => answers.filter((a) => a.index !== undefined);
  return { env, client, answers, finals, deltas };
}

describe('HTTP chunked fallback against the real gateway', () => {
  let llm: FakeLlmServer;
  let gw: RunningGateway;

  before(async () => {
    llm = await startFakeLlmServer({ apiKey: 'test-key', deltaLatencyMs: 3, deltaChars: 3 });
    gw = await startGateway({ llm, env: { STREAM_COALESCE_MS: '0' } });
  });
  after(async () => {
    await gw.stop();
    await llm.close();
  });

  it('streams an answer whose chunks are split at arbitrary byte boundaries; Chinese and emoji intact', async () => {
    const full = '中文流式回答😀，每一个字都完整无缺。'.repeat(6) + '\n\n| 表 | 格 |\n|---|---|\n| 🀄 | ✓ |';
    llm.setReply(() => full);
    const { rechunk, stats } = byteSplitter(1234);
    const h = http(gw, { rechunk });
    h.client.chat('你好');
    await until(() => h.finals().length === 1, 'the answer');
    const final = h.finals()[0];
    assert.deepEqual([final.status, final.text], ['complete', full]);
    assert.deepEqual(h.deltas().map((d) => d.index), h.deltas().map((_, i) => i));
    assert.equal(h.deltas().map((d) => d.delta).join(''), full);
    assert.ok(stats.midCharacter > 20, `cuts inside characters: ${stats.midCharacter} of ${stats.pieces} pieces`);
    assert.doesNotMatch(final.text, /\ufffd/);

    assert.deepEqual(plain(h.env.requests.map((r) => [new URL(r.url).pathname, r.enableChunked])), [
      ['/wechat/login', false],
      ['/wechat/chat', true],
    ]);
    h.client.chat('第二个问题');
    await until(() => h.finals().length === 2, 'the second answer');
    assert.equal(h.env.loginCodes.length, 1, 'the session_id is reused');
  });

  it('where onChunkReceived never fires (reported on the PC client), the body from success is parsed', async () => {
    llm.setReply(() => '整段到达的回答，一次解析。');
    const h = http(gw, { chunkedSupported: false });
    h.client.chat('PC 端');
    await until(() => h.finals().length === 1, 'the answer');
    assert.deepEqual([h.finals()[0].status, h.finals()[0].text], ['complete', '整段到达的回答，一次解析。']);
  });

  it('an expired session_id is replaced by a new wx.login, once, and the question asked again', async () => {
    llm.setReply(() => '重新登录后的回答。');
    const h = http(gw);
    h.env.storage.set('wag_session_id', 'stale-session-id');
    h.client.chat('会过期吗');
    await until(() => h.finals().length === 1, 'the answer');
    assert.equal(h.finals()[0].text, '重新登录后的回答。');
    assert.deepEqual(h.env.requests.map((r) => new URL(r.url).pathname), ['/wechat/chat', '/wechat/login', '/wechat/chat']);
    assert.notEqual(h.env.storage.get('wag_session_id'), 'stale-session-id');
  });

  it('cancel hangs up, and the gateway stops the model', async () => {
    llm.setReply(() => '被取消的长回答。'.repeat(60));
    const aborted = llm.abortedCount();
    const h = http(gw);
    h.client.chat('长回答');
    await until(() => h.deltas().length >= 3, 'some deltas');
    assert.equal(await h.client.cancel(), true);
    assert.equal(h.finals()[0].status, 'cancelled');
    await until(() => llm.abortedCount() > aborted, 'the upstream call aborted');
  });

  it('a model failure arrives as chat_response with a reason, mapped to a Chinese toast', async () => {
    llm.setReply(() => '会被截断的回答。'.repeat(10));
    llm.pushFault({ cutAfterDeltas: 3 });
    const h = http(gw);
    h.client.chat('截断');
    await until(() => h.finals().length === 1, 'the end');
    const final = h.finals()[0];
    assert.deepEqual([final.status, final.error.reason, final.error.text], ['failed', 'model_error', 'AI 服务暂时不可用，请稍后再试']);
  });

  it('the connection cut mid-stream (no chat_response): the answer ends, partial, with a reason', async () => {
    llm.setReply(() => '网络在中途断开。'.repeat(40));
    const h = http(gw);
    h.client.chat('断网');
    await until(() => h.deltas().length >= 3, 'some deltas');
    gw.app.fastify.server.closeAllConnections();
    await until(() => h.finals().length === 1, 'the end');
    const final = h.finals()[0];
    assert.equal(final.status, 'failed');
    assert.ok(['network_error', 'stream_interrupted'].includes(final.error.reason), final.error.reason);
    assert.ok(final.text.length > 0 && '网络在中途断开。'.repeat(40).startsWith(final.text));
    assert.match(final.error.text, /网络/);
  });

  it('the demo page works over HTTP too (config transport: "http")', async () => {
    llm.setReply(() => '**HTTP** 模式的回答');
    const env = createWxEnvironment({ root: ROOT, rechunk: byteSplitter(7).rechunk });
    env.launchApp(ROOT, { 'config.js': { wsUrl: gw.wsUrl, httpBaseUrl: gw.url, transport: 'http', client: {} } });
    const page = env.openPage('pages/chat/chat');
    page.onInput({ detail: { value: '走 HTTP' } });
    page.onSend();
    await until(() => page.data.busy === false, 'the answer');
    const toNodes = env.require('lib/markdown-nodes.js').toNodes;
    assert.deepEqual(plain(page.data.messages[1].nodes), plain(toNodes('**HTTP** 模式的回答')));
    assert.equal(env.sockets.length, 0, 'no socket at all');
    assert.deepEqual(env.toasts, []);
  });
});
