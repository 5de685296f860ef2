/**
 * What `WS_COMPRESSION=true` (permessage-deflate) costs and saves, before anyone turns it on:
 * the same compiled gateway twice, compression off and on, each driven by clients that offer
 * the extension (as browsers do, and `wx.connectSocket({ perMessageDeflate: true })`), in
 * interleaved rounds after a warm-up. The reference load of the performance issue: 100
 * logged-in sockets × 4 streamed chats, the fake model answering 50 ms to first token, 20
 * deltas 5 ms apart; after each round, one history page (up to 50 messages) per socket.
 *
 * Per leg: the gateway's CPU per chat (user + system, /proc), the bytes each chat brought
 * down the socket (every frame, as the client's TCP socket counted them), time to first delta
 * p50/p99, the history page's bytes; then the RSS each of 1,000 more sockets adds by reading one
 * history page (what a socket holds once it has compressed anything: memoryPerReader).
 *
 *   npm run bench:compression [-- --rounds=4 --pin]
 */
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { startFakeWechatServer } from '../test/support/fake-wechat-server.js';
import { wireBytesRead, WsTestClient } from '../test/support/ws-test-client.js';
import { startFakeModel } from './support/child-process.js';
import { benchAnswer } from './support/bench-answer.js';
import { pinDrivers } from './support/cpu-pin.js';
import { startGatewayProcess } from './support/gateway-process.js';
import { cpuMs, statusKb } from './support/proc-stats.js';
import { p50, p99 } from './support/samples.js';
import { median } from './process-rss.js';

const CONNECTIONS = 100;
const CHATS_PER_CONNECTION = 4;
const HISTORY_MESSAGES = 50;
/** sockets of the memory phase (memoryPerReader) */
const READERS = 1_000;
const MODEL = { deltas: 20, pace: 5, ttft: 50 };
/** a reply later than this fails the run (a chat takes ~0.15 s) */
const TIMEOUT_MS = 30_000;

/** A client offering permessage-deflate, logged in with a WeChat code or an earlier login's session id. */
async function connect(url: string, login: { code: string } | { session_id: string }): Promise<WsTestClient> {
  const client = await WsTestClient.connect(url, { perMessageDeflate: true });
  await client.nextOf('connected', TIMEOUT_MS);
  client.send({ type: 'login', ...login });
  const response = await client.nextOf('login_response', TIMEOUT_MS);
  if (response.code !== 0) throw new Error(`login failed: ${response.code} ${response.message}`);
  return client;
}

/** One streamed chat: resolves with its time to first delta, once chat_response arrived. */
async function chat(client: WsTestClient): Promise<number> {
  const start = performance.now();
  let ttfd = NaN;
  const onDelta = (raw: WebSocket.RawData) => {
    if (Number.isNaN(ttfd) && raw.toString().includes('"chat_delta"')) ttfd = performance.now() - start;
  };
  client.socket.on('message', onDelta);
  client.send({ type: 'chat', query: '基准测试的问题', stream: true });
  await client.nextOf('chat_response', TIMEOUT_MS);
  client.socket.off('message', onDelta);
  return ttfd;
}

/** Every client reads one history page (its user's latest messages). */
const readHistoryPages = (clients: WsTestClient[]) =>
  Promise.all(
    clients.map((client) => {
      client.send({ type: 'history', limit: HISTORY_MESSAGES });
      return client.nextOf('history_response', TIMEOUT_MS);
    }),
  );

interface Leg {
  label: string;
  url: string;
  /** RSS added per socket by reading one history page, KB (memory phase) */
  rssPerReader?: number;
  pid: number;
  clients: WsTestClient[];
  cpuPerChat: number[];
  bytesPerChat: number[];
  ttfd: number[];
  historyBytes: number[];
}

async function round(leg: Leg, measured: boolean): Promise<void> {
  const bytes = () => leg.clients.reduce((sum, c) => sum + wireBytesRead(c.socket), 0);
  const [cpu0, bytes0] = [cpuMs(leg.pid), bytes()];
  const ttfd = await Promise.all(
    leg.clients.map(async (client) => {
      const times: number[] = [];
      for (let i = 0; i < CHATS_PER_CONNECTION; i++) times.push(await chat(client));
      return times;
    }),
  );
  const chats = CONNECTIONS * CHATS_PER_CONNECTION;
  const [cpu, wire] = [cpuMs(leg.pid) - cpu0, bytes() - bytes0];
  const before = bytes();
  await readHistoryPages(leg.clients);
  if (!measured) return;
  leg.cpuPerChat.push(cpu / chats);
  leg.bytesPerChat.push(wire / chats);
  leg.ttfd.push(...ttfd.flat());
  leg.historyBytes.push((bytes() - before) / CONNECTIONS);
}

/**
 * What a socket keeps after it received one compressed frame (zlib state lives as long as the
 * socket): READERS more sockets log in as one user who has a long conversation (the first
 * client's session), RSS is read, each reads one history page, RSS is read again. With
 * compression off the same pages pass through, so the two legs differ by the zlib state.
 */
async function memoryPerReader(leg: Leg): Promise<number> {
  const sessionId = leg.clients[0]!.frames.find((f) => f.type === 'login_response')!.data.session_id as string;
  const readers = await Promise.all(Array.from({ length: READERS }, () => connect(leg.url, { session_id: sessionId })));
  await new Promise((resolve) => setTimeout(resolve, 500));
  const before = statusKb(leg.pid, 'VmRSS');
  await readHistoryPages(readers);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const added = (statusKb(leg.pid, 'VmRSS') - before) / READERS;
  leg.clients.push(...readers); // closed with the others at the end
  return added;
}

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const rounds = Number(arg('rounds') ?? 4);
if (process.argv.includes('--pin')) pinDrivers();

const wechat = await startFakeWechatServer();
const model = await startFakeModel(MODEL);
const legs: Leg[] = [];
const servers = [];
try {
  for (const [label, compression] of [['off', 'false'], ['on (WS_COMPRESSION=true)', 'true']] as const) {
    const server = await startGatewayProcess({ llmBaseUrl: model.address, wechat, coalesceMs: 0, env: { WS_COMPRESSION: compression } });
    servers.push(server);
    const clients = await Promise.all(Array.from({ length: CONNECTIONS }, (_, i) => connect(server.wsUrl, { code: `cmp-${label.slice(0, 3)}-${i}` })));
    legs.push({ label, url: server.wsUrl, pid: server.child.pid!, clients, cpuPerChat: [], bytesPerChat: [], ttfd: [], historyBytes: [] });
  }
  for (let r = -1; r < rounds; r++) {
    for (const leg of r % 2 === 0 ? legs : [...legs].reverse()) await round(leg, r >= 0);
  }
  for (const leg of legs) leg.rssPerReader = await memoryPerReader(leg);
  const expected = benchAnswer(MODEL.deltas);
  console.log(`\nWebSocket compression — ${CONNECTIONS} sockets × ${CHATS_PER_CONNECTION} streamed chats (${MODEL.deltas} deltas of 2 characters: "${expected.slice(0, 8)}…"), ${rounds} rounds\n`);
  console.log(`| compression | CPU per chat (median of rounds) | bytes per chat | TTFD p50 / p99 | history page (limit ${HISTORY_MESSAGES}) | RSS per socket after one history page (${READERS} sockets) |`);
  console.log('|---|---|---|---|---|---|');
  for (const leg of legs) {
    console.log(
      `| ${leg.label} | ${median(leg.cpuPerChat).toFixed(3)} ms | ${median(leg.bytesPerChat).toFixed(0)} B | ` +
        `${p50(leg.ttfd).toFixed(1)} / ${p99(leg.ttfd).toFixed(1)} ms | ${median(leg.historyBytes).toFixed(0)} B | ${leg.rssPerReader!.toFixed(1)} KB |`,
    );
  }
  console.log(`\nrounds (CPU ms per chat): ${legs.map((l) => `${l.label}: ${l.cpuPerChat.map((c) => c.toFixed(2)).join(' ')}`).join(' / ')}`);
} finally {
  for (const leg of legs) for (const c of leg.clients) c.socket.terminate();
  await Promise.all(servers.map((s) => s.stop()));
  await model.stop();
  await wechat.close();
}
