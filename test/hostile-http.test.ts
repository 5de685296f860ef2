/**
 * HTTP against hostile clients: oversized headers and bodies, slowloris (headers or body
 * trickled), and the other side of those timeouts — a long answer, streamed or not, is never
 * cut by them.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { startFakeLlmServer, type FakeLlmServer } from './support/fake-llm-server.js';
import { startGateway, type RunningGateway } from './support/start-gateway.js';
import { WsTestClient } from './support/ws-test-client.js';

/** A raw TCP client: what it received, and a promise for when the server closed the connection. */
async function rawClient(url: string): Promise<{ socket: Socket; received: () => string; closed: Promise<void> }> {
  const { port } = new URL(url);
  const socket = connect(Number(port), '127.0.0.1');
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  let text = '';
  socket.on('data', (chunk) => (text += chunk.toString()));
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return { socket, received: () => text, closed };
}

/** Writes `parts` one by one, every `everyMs`, until the server closes the connection. */
function trickle(socket: Socket, parts: () => string, everyMs: number): () => void {
  const timer = setInterval(() => {
    if (!socket.destroyed) socket.write(parts());
  }, everyMs);
  return () => clearInterval(timer);
}

describe('hostile HTTP clients', () => {
  let llm: FakeLlmServer;
  let gw: RunningGateway;
  const answerDeltas = 40;

  before(async () => {
    // every answer takes ~40 × 100 ms = 4 s: longer than the request timeout below
    llm = await startFakeLlmServer({ apiKey: 'test-key', deltaLatencyMs: 100, deltaChars: 1, reply: () => '慢'.repeat(answerDeltas) });
    gw = await startGateway({
      llm,
      env: { LOG_LEVEL: 'warn', HTTP_REQUEST_TIMEOUT_MS: '2000', HTTP_HEADERS_TIMEOUT_MS: '1000', STREAM_COALESCE_MS: '0' },
    });
  });
  after(async () => {
    await gw.stop();
    await llm.close();
  });

  it('answers 431 to headers over 16 KiB, 413 to a body over HTTP_MAX_BODY_BYTES', async () => {
    const big = await fetch(`${gw.url}/wechat/health`, { headers: { 'x-junk': 'a'.repeat(20 * 1024) } });
    assert.equal(big.status, 431);
    const body = await fetch(`${gw.url}/wechat/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: 'a'.repeat(70 * 1024) }),
    });
    assert.equal(body.status, 413);
    assert.equal(((await body.json()) as any).data.reason, 'body_too_large');
  });

  it('closes a connection whose headers trickle in (slowloris) after HTTP_HEADERS_TIMEOUT_MS', async () => {
    const client = await rawClient(gw.url);
    client.socket.write('POST /wechat/login HTTP/1.1\r\nHost: localhost\r\n');
    let n = 0;
    const stop = trickle(client.socket, () => `X-Slow-${n++}: 1\r\n`, 200);
    await client.closed;
    stop();
    assert.match(client.received(), /^HTTP\/1\.1 408/, 'Node answers 408 Request Timeout');
    assert.equal((await fetch(`${gw.url}/wechat/health`)).status, 200);
  });

  it('closes a connection whose body trickles in after HTTP_REQUEST_TIMEOUT_MS', async () => {
    const client = await rawClient(gw.url);
    client.socket.write('POST /wechat/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"code":"');
    const stop = trickle(client.socket, () => 'a', 200);
    await client.closed;
    stop();
    assert.match(client.received(), /^HTTP\/1\.1 408/);
  });

  it('never cuts an answer that takes longer than the request timeout: streamed, JSON, or on the WebSocket', async () => {
    const streamed = await fetch(`${gw.url}/wechat/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ openid: 'slow-stream', query: '慢慢说', stream: true }),
    });
    const events = await streamed.text();
    assert.match(events, /"type":"chat_response","code":0/);
    assert.equal((events.match(/"type":"chat_delta"/g) ?? []).length, answerDeltas);

    const plain = await fetch(`${gw.url}/wechat/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ openid: 'slow-json', query: '慢慢说' }),
    });
    assert.equal(plain.status, 200);
    assert.equal(((await plain.json()) as any).data.msg, '慢'.repeat(answerDeltas));

    const { client } = await WsTestClient.loggedIn(gw.wsUrl, 'slow-ws');
    client.send({ type: 'chat', query: '慢慢说', stream: true });
    const done = await client.nextOf('chat_response', 15_000);
    assert.equal(done.code, 0);
    await client.close();
  });
});
