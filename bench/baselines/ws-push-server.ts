/**
 * The frame-cost baseline: a raw `ws` server in its own process that does nothing but push.
 * It speaks just enough of the gateway's protocol for the same load-generator client: `login`
 * → `login_response`; `chat` → `--frames` `chat_delta` frames (the gateway's exact shape and
 * size) `--pace` ms apart, then `chat_response`. What the gateway spends beyond this server is
 * its own work (auth, model call, SSE parsing, persistence, limits).
 *
 *   node --import tsx bench/baselines/ws-push-server.ts --frames=64 --pace=20
 *
 * Prints its ws URL; GET /eld answers its event-loop delay p99 (ms) since the last call.
 */
import { EVENT_LOOP_SAMPLE_MS } from '../support/gateway-process.js';
import { createServer } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { WebSocketServer } from 'ws';
import { benchAnswer } from '../support/bench-answer.js';

const arg = (name: string, fallback: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback;
const FRAMES = Number(arg('frames', '64'));
const PACE = Number(arg('pace', '20'));
/** the fake model's answer, in its 2-character deltas: the client checks the text like the gateway's */
const DELTAS = benchAnswer(FRAMES).match(/.{1,2}/gsu) ?? [];

const eld = monitorEventLoopDelay({ resolution: EVENT_LOOP_SAMPLE_MS });
eld.enable();
const http = createServer((req, res) => {
  if (req.url !== '/eld') return res.writeHead(404).end();
  res.end(JSON.stringify({ p99Ms: Math.max(0, eld.percentile(99) / 1e6 - EVENT_LOOP_SAMPLE_MS) }));
  eld.reset();
});
const wss = new WebSocketServer({ server: http, path: '/wechat/ws', perMessageDeflate: false });
let answers = 0;
wss.on('connection', (socket) => {
  const reply = (type: string, data: unknown) => socket.send(JSON.stringify({ type, code: 0, message: '', data }));
  socket.on('message', (raw) => {
    const { type } = JSON.parse(raw.toString()) as { type: string };
    if (type === 'login') return reply('login_response', { openid: 'push', session_id: 'push' });
    if (type !== 'chat') return;
    const id = `push-${++answers}`;
    reply('chat_processing', { id });
    let index = 0;
    const next = () => {
      if (socket.readyState !== socket.OPEN) return;
      if (index === DELTAS.length) return reply('chat_response', { msg: DELTAS.join(''), id, session_id: 'push' });
      reply('chat_delta', { id, index, delta: DELTAS[index++] });
      setTimeout(next, PACE);
    };
    setTimeout(next, PACE);
  });
});
http.listen(0, '127.0.0.1', () => {
  const { port } = http.address() as { port: number };
  console.log(`ws://127.0.0.1:${port}/wechat/ws`);
});
process.once('SIGTERM', () => process.exit(0));
