import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeLlmServer, type FakeLlmServer } from './support/fake-llm-server.js';
import { seedBlock } from './support/seed-document.js';
import { startGateway, type RunningGateway } from './support/start-gateway.js';
import { createWxEnvironment } from './support/wx-shim.js';
import { plain, until } from './support/wait.js';

/** The seed's own mini-program pages, verbatim but for the server URL, under a wx shim. */
describe('the seed document\'s mini-program code runs against the server', () => {
  let llm: FakeLlmServer;
  let gw: RunningGateway;

  before(async () => {
    llm = await startFakeLlmServer({ apiKey: 'test-key' });
    gw = await startGateway({ llm });
  });
  after(async () => {
    await gw.stop();
    await llm.close();
  });

  it('pages/chat/chat.js (WebSocket): connects, logs in, shows the AI reply', async () => {
    const source = seedBlock('javascript', 'connectWebSocket()').replace('wss://your-domain.com/wechat/ws', gw.wsUrl);
    const env = createWxEnvironment();
    env.run(source, 'pages/chat/chat.js');
    const page = env.loadPage();
    await until(() => page.data.openid !== '', 'login');
    assert.deepEqual(env.toasts, [{ title: '登录成功', icon: 'success' }]);
    assert.equal(env.storage.get('openid'), page.data.openid);

    page.onInput({ detail: { value: '你好' } });
    page.sendChatMessage();
    assert.equal(page.data.messages.length, 1);
    await until(() => page.data.messages.length === 2, 'the AI reply');
    assert.deepEqual(plain(page.data.messages), [
      { type: 'user', content: '你好' },
      { type: 'ai', content: '收到：你好' },
    ]);
    assert.equal(page.data.loading, false);
    page.sendPing();
    page.onUnload();
    await until(() => page.data.connected === false, 'socket closed');
    assert.equal(env.toasts.length, 1, 'no error toast');
  });

  it('pages/index + pages/chat (deprecated HTTP API): logs in and chats with the stored openid', async () => {
    const env = createWxEnvironment();
    env.run(seedBlock('javascript', 'pages/index/index.js').replaceAll('https://your-domain.com', gw.url), 'pages/index/index.js');
    const index = env.loadPage(0);
    await until(() => index.data.openid !== '', 'HTTP login');
    env.run(seedBlock('javascript', "url: 'https://your-domain.com/wechat/chat'").replaceAll('https://your-domain.com', gw.url), 'pages/chat/chat.js');
    const chat = env.loadPage(1);
    assert.equal(chat.data.openid, index.data.openid);
    chat.onInput({ detail: { value: '在吗' } });
    chat.sendMessage();
    await until(() => chat.data.messages.length === 2, 'the AI reply');
    assert.deepEqual(plain(chat.data.messages[1]), { type: 'ai', content: '收到：在吗' });
    assert.deepEqual(env.toasts, []);
  });
});
