/**
 * Floods and hoarders against a real gateway: a socket sending thousands of frames a second,
 * clients that never read while an answer streams to them, thousands of sockets that never log
 * in. Each must be cut off by a documented bound while other clients keep being served. RSS is
 * printed before and after (a figure, not an assertion).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { CloseCode } from '../src/protocol/close-codes.js';
import { startFakeLlmServer, type FakeLlmServer } from './support/fake-llm-server.js';
import { watchProcess } from './support/hostile-watch.js';
import { startGateway, type GatewayOptions, type RunningGateway } from './support/start-gateway.js';
import { until } from './support/wait.js';
import { WsTestClient } from './support/ws-test-client.js';

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const rss = () => process.memoryUsage().rss;

describe('hostile clients on the WebSocket', () => {
  const running: Array<{ stop(): Promise<void> } | { close(): Promise<void> }> = [];
  const watch = watchProcess();
  after(async () => {
    for (const thing of running.reverse()) await ('stop' in thing ? thing.stop() : thing.close());
    watch.stop();
  });
  async function gateway(options: GatewayOptions): Promise<RunningGateway> {
    const gw = await startGateway({ ...options, env: { LOG_LEVEL: 'info', ...options.env } });
    running.push(gw);
    return gw;
  }

  it('closes a socket that sends 10,000 frames a second with 4003; another client is served meanwhile', async () => {
    const gw = await gateway({ env: { WS_MAX_MESSAGES_PER_SECOND: '50' } });
    const other = await WsTestClient.connect(gw.wsUrl);
    await other.nextOf('connected');
    const flooder = await WsTestClient.connect(gw.wsUrl);
    await flooder.nextOf('connected');
    const before = rss();
    let sent = 0;
    // 10,000 frames in one burst: pings and junk alternately
    for (; sent < 10_000 && flooder.socket.readyState === WebSocket.OPEN; sent++) {
      flooder.send(sent % 2 ? '{"type":"ping"}' : '{bad');
    }
    other.send({ type: 'ping', request_id: 'still-there' });
    assert.equal((await other.nextOf('pong')).request_id, 'still-there');
    assert.equal((await flooder.closed).code, CloseCode.TOO_MANY_MESSAGES);
    assert.ok(flooder.frames.length <= 51, `at most a second's budget answered, got ${flooder.frames.length}`);
    console.log(`flood: ${sent} frames sent, ${flooder.frames.length} answered, RSS ${mib(before)} → ${mib(rss())}`);
    const line = JSON.parse(gw.logs.find((l) => l.includes('too many messages'))!);
    // the connection and its upgrade request on the line, so every line of one socket can be found
    assert.ok(Number.isInteger(line.conn) && typeof line.reqId === 'string' && line.ip === '127.0.0.1', `the line names its connection: ${JSON.stringify(line)}`);
    await other.close();
    watch.assertClean();
  });

  /** Logs in, pauses reading at the TCP level, and asks for a long streamed answer. */
  async function slowReader(gw: RunningGateway, code: string): Promise<{ client: WsTestClient; resume(): void }> {
    const { client } = await WsTestClient.loggedIn(gw.wsUrl, code);
    const tcp = (client.socket as unknown as { _socket: Socket })._socket;
    client.send({ type: 'chat', query: '写一篇很长的文章', stream: true });
    await client.nextOf('chat_processing');
    tcp.pause();
    return { client, resume: () => tcp.resume() };
  }

  async function longAnswerLlm(): Promise<FakeLlmServer> {
    // 8 MB in 256 KiB deltas: more than the kernel buffers of a paused loopback reader absorb
    const llm = await startFakeLlmServer({ apiKey: 'test-key', deltaChars: 256 * 1024, reply: () => 'a'.repeat(8 * 1024 * 1024) });
    running.push(llm);
    return llm;
  }

  it('drops a reader that never drains once its queue passes WS_MAX_BUFFERED_BYTES', async () => {
    const llm = await longAnswerLlm();
    const gw = await gateway({ llm, env: { WS_MAX_BUFFERED_BYTES: String(1024 * 1024), STREAM_COALESCE_MS: '0' } });
    const before = rss();
    const reader = await slowReader(gw, 'slow-reader');
    await until(() => gw.logs.some((line) => line.includes('client not reading')), 'the slow reader to be dropped', 30_000);
    reader.resume();
    assert.equal((await reader.client.closed).code, 1006, 'dropped without a close handshake');
    console.log(`slow reader: RSS ${mib(before)} → ${mib(rss())}`);
    const { client } = await WsTestClient.loggedIn(gw.wsUrl, 'someone-else');
    client.send({ type: 'ping' });
    assert.equal((await client.nextOf('pong')).type, 'pong');
    await client.close();
  });

  it('drops readers that are behind once all queues together pass WS_MAX_TOTAL_BUFFERED_BYTES', async () => {
    const llm = await longAnswerLlm();
    const gw = await gateway({
      llm,
      env: { WS_MAX_BUFFERED_BYTES: String(1024 ** 3), WS_MAX_TOTAL_BUFFERED_BYTES: String(2 * 1024 * 1024), STREAM_COALESCE_MS: '0' },
    });
    const readers = [await slowReader(gw, 'slow-1'), await slowReader(gw, 'slow-2')];
    const dropped = () => gw.logs.filter((line) => line.includes('client not reading')).length;
    await until(() => dropped() === 2, 'both slow readers to be dropped', 30_000);
    for (const reader of readers) {
      reader.resume();
      assert.equal((await reader.client.closed).code, 1006);
    }
  });

  it('refuses sockets beyond WS_MAX_UNAUTHENTICATED with 1013 (2,000 sockets from 4 addresses); a login frees a place', async () => {
    // the login timeout (4001, tested in ws-protocol) is what frees the places of sockets that never log in
    // the per-IP connection rate (IP_CONNECTIONS_PER_MINUTE) is lifted: this test is about the anonymous cap alone
    const gw = await gateway({
      env: { LOG_LEVEL: 'warn', WS_MAX_UNAUTHENTICATED: '500', WS_MAX_CONNECTIONS_PER_IP: '1000', IP_CONNECTIONS_PER_MINUTE: '0' },
    });
    const before = rss();
    const clients: WsTestClient[] = [];
    for (let batch = 0; batch < 10; batch++) {
      const opened = await Promise.all(
        Array.from({ length: 200 }, (_, i) => connectFrom(gw.wsUrl, `127.0.0.${1 + ((batch * 200 + i) % 4)}`)),
      );
      clients.push(...opened);
    }
    const first = await Promise.all(clients.map((c) => c.next()));
    const accepted = clients.filter((_, i) => first[i]!.type === 'connected');
    const refused = clients.filter((_, i) => first[i]!.type === 'error');
    assert.equal(accepted.length, 500);
    assert.equal(refused.length, 1_500);
    for (const client of refused) {
      assert.equal(client.frames[0]!.data.reason, 'too_many_connections');
      assert.equal((await client.closed).code, CloseCode.TRY_AGAIN_LATER);
    }
    console.log(`2,000 anonymous sockets: 500 held, 1,500 refused; RSS ${mib(before)} → ${mib(rss())}`);

    // logging in frees a place in the anonymous queue
    accepted[0]!.send({ type: 'login', code: 'real-user' });
    await accepted[0]!.nextOf('login_response');
    const late = await connectFrom(gw.wsUrl, '127.0.0.5');
    assert.equal((await late.next()).type, 'connected');

    const full = await connectFrom(gw.wsUrl, '127.0.0.6');
    assert.equal((await full.next()).data.reason, 'too_many_connections', 'full again');

    // sockets that leave free their places
    await Promise.all([...accepted, late].map((client) => client.close()));
    const fresh = await connectFrom(gw.wsUrl, '127.0.0.6');
    assert.equal((await fresh.next()).type, 'connected');
    await fresh.close();
    console.log(`after they closed: RSS ${mib(rss())}`);
    assert.equal((await fetch(`${gw.url}/wechat/health`)).status, 200);
    watch.assertClean();
  });
});

async function connectFrom(url: string, localAddress: string): Promise<WsTestClient> {
  return WsTestClient.connect(url, { localAddress });
}
