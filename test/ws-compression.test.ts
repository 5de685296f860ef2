import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startFakeLlmServer, type FakeLlmServer } from './support/fake-llm-server.js';
import { startGateway, type RunningGateway } from './support/start-gateway.js';
import { plain, until } from './support/wait.js';
import { createWxEnvironment } from './support/wx-shim.js';
import { wireBytesRead, WsTestClient } from './support/ws-test-client.js';

/** A logged-in client offering (or not) permessage-deflate; ws clients offer it unless told not to. */
async function loggedIn(gw: RunningGateway, code: string, perMessageDeflate: boolean): Promise<WsTestClient> {
  const { client, login } = await WsTestClient.loggedIn(gw.wsUrl, code, { perMessageDeflate });
  assert.equal(login.code, 0);
  return client;
}

/** Asks `count` streamed questions; returns the last answer's deltas joined and its chat_response text. */
async function streamedChats(client: WsTestClient, count: number): Promise<{ deltas: string; text: string }> {
  let result = { deltas: '', text: '' };
  for (let i = 0; i < count; i++) {
    client.send({ type: 'chat', query: `第 ${i} 个问题：退货政策是什么？`, stream: true });
    const response = await client.nextOf('chat_response');
    const deltas = response.skipped.filter((f) => f.type === 'chat_delta');
    assert.deepEqual(
      deltas.map((f) => f.data.index),
      deltas.map((_, index) => index),
      'every delta, in order',
    );
    result = { deltas: deltas.map((f) => f.data.delta).join(''), text: response.data.msg as string };
  }
  return result;
}

describe('WS_COMPRESSION (permessage-deflate)', () => {
  let llm: FakeLlmServer;
  let off: RunningGateway;
  let on: RunningGateway;
  const answer = '关于退货：收到商品七天内可以无理由退货，请保持包装完好并在订单页提交申请。'.repeat(3);

  before(async () => {
    llm = await startFakeLlmServer({ apiKey: 'test-key', reply: () => answer, deltaChars: 4 });
    off = await startGateway({ llm });
    on = await startGateway({ llm, env: { WS_COMPRESSION: 'true', WS_MAX_FRAME_BYTES: '65536' } });
  });
  after(async () => {
    await Promise.all([off.stop(), on.stop()]);
    await llm.close();
  });

  it('is off by default: a client offering it gets plain frames, as before', async () => {
    const client = await loggedIn(off, 'cmp-off', true);
    assert.equal(client.socket.extensions, '', 'nothing negotiated');
    const { deltas, text } = await streamedChats(client, 1);
    assert.equal(deltas, answer);
    assert.equal(text, answer);
    await client.close();
  });

  it('when on, negotiates per-message compression without context takeover and a 1 KiB window', async () => {
    const socket = new WebSocket(on.wsUrl, { perMessageDeflate: true });
    const accepted = await new Promise<string>((resolve, reject) => {
      socket.once('upgrade', (response) => resolve(String(response.headers['sec-websocket-extensions'])));
      socket.once('error', reject);
    });
    assert.match(accepted, /^permessage-deflate/);
    for (const param of ['server_no_context_takeover', 'client_no_context_takeover', 'server_max_window_bits=10', 'client_max_window_bits=10']) {
      assert.ok(accepted.includes(param), `${param} in "${accepted}"`);
    }
    socket.terminate();
  });

  it('when on, streams every delta unchanged and shrinks a large frame (a history page) on the wire', async () => {
    const client = await loggedIn(on, 'cmp-history', true);
    const { deltas, text } = await streamedChats(client, 4);
    assert.equal(deltas, answer);
    assert.equal(text, answer);
    const before = wireBytesRead(client.socket);
    client.send({ type: 'history', limit: 50 });
    const page = await client.nextOf('history_response');
    const frameText = client.raw.at(-1)!;
    assert.equal(page.data.messages.length, 8, 'the 4 questions and 4 answers');
    const onWire = wireBytesRead(client.socket) - before;
    const size = Buffer.byteLength(frameText);
    assert.ok(size > 2_000, `a large frame (${size} bytes)`);
    assert.ok(onWire < size / 3, `compressed: ${onWire} bytes on the wire for ${size}`);
    await client.close();
  });

  it('when on, a client that does not offer it is served plain frames', async () => {
    const client = await loggedIn(on, 'cmp-plain', false);
    assert.equal(client.socket.extensions, '');
    const { deltas } = await streamedChats(client, 1);
    assert.equal(deltas, answer);
    await client.close();
  });

  it('the mini-program kit offers it only with perMessageDeflate: true, and then reads compressed history intact', async () => {
    const kit = (perMessageDeflate?: boolean) => {
      const env = createWxEnvironment({ root: join(import.meta.dirname, '..', 'miniprogram') });
      const { createChatClient } = env.require('lib/chat-client.js');
      const client = createChatClient({ url: on.wsUrl, ...(perMessageDeflate !== undefined && { perMessageDeflate }) });
      let ready = false;
      client.on('state', (s: { state: string }) => (ready ||= s.state === 'ready'));
      client.start();
      return { env, client, ready: () => until(() => ready, 'kit ready') };
    };
    const plainKit = kit();
    const deflateKit = kit(true);
    try {
      await Promise.all([plainKit.ready(), deflateKit.ready()]);
      assert.equal(plainKit.env.sockets[0]!._ws.extensions, '', 'WeChat default: not offered');
      assert.equal(deflateKit.env.sockets[0]!._ws.extensions, 'permessage-deflate');
      let answered = 0;
      let page: unknown;
      deflateKit.client.on('answer', (a: { done?: boolean }) => (answered += a.done ? 1 : 0));
      deflateKit.client.on('frame', (f: { direction: string; frame: { type: string } }) => {
        if (f.direction === 'in' && f.frame.type === 'history_response') page = plain(f.frame);
      });
      for (let i = 0; i < 3; i++) {
        deflateKit.client.chat(`第 ${i} 个问题`);
        await until(() => answered === i + 1, `answer ${i + 1}`);
      }
      const kitSocket = deflateKit.env.sockets[0]!._ws;
      const before = wireBytesRead(kitSocket);
      const history = plain(await deflateKit.client.history(20)) as Array<{ role: string; content: string }>;
      assert.deepEqual(
        history.map((m) => m.role === 'assistant' && m.content),
        [false, answer, false, answer, false, answer],
      );
      const size = Buffer.byteLength(JSON.stringify(page));
      const onWire = wireBytesRead(kitSocket) - before;
      assert.ok(onWire < size / 3, `compressed: ${onWire} bytes on the wire for a ${size}-byte page`);
    } finally {
      plainKit.client.stop();
      deflateKit.client.stop();
    }
  });

  it('when on, a compressed frame that inflates past WS_MAX_FRAME_BYTES closes the socket with 1009 (deflate bomb)', async () => {
    const client = await loggedIn(on, 'cmp-bomb', true);
    // ~1 MB of the same character deflates to about a kilobyte
    const bomb = JSON.stringify({ type: 'chat', query: 'a'.repeat(1024 * 1024) });
    client.socket.send(bomb, { compress: true });
    const { code } = await client.closed;
    assert.equal(code, 1009);
    // the gateway still serves everyone else
    const other = await loggedIn(on, 'cmp-after-bomb', true);
    other.send({ type: 'ping' });
    assert.equal((await other.nextOf('pong')).type, 'pong');
    await other.close();
    assert.equal(client.socket.readyState, WebSocket.CLOSED);
  });
});
