/**
 * Streaming benchmark: what does the gateway add on top of the model?
 *
 * In one run, against the same fake model process (64 deltas paced at 20 ms):
 *   direct  — the load driver reads the model's SSE stream itself (the baseline);
 *   gateway — WeChat-style WebSocket clients (dev login, `chat` with stream: true) through the
 *             real, compiled gateway process (`dist/main.js`, what `npm start` runs).
 * Reported: time to first token (TTFT) p50/p99, the gateway's added TTFT, per-stream
 * completion, lost/garbled answers (must be 0), and the gateway's CPU time per stream.
 *
 *   npm run bench:gateway [-- --streams=200 --rounds=30] [--kb=on] [--prof=DIR]
 *
 * --kb=on loads the sample knowledge base (every chat then runs a retrieval); the default is
 * off, like the seed's stack, which retrieves nothing. --prof=DIR writes the gateway's
 * --cpu-prof profile into DIR when it stops; --node-arg=X (repeatable) passes X to the gateway's
 * node, e.g. --perf-basic-prof for `perf record -p <pid>` (the pid is printed).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { spawnServer } from '../test/support/spawn-server.js';
import { pct } from './percentile.js';
import { cpuMs } from './support/proc-stats.js';

const arg = (name: string, fallback: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const STREAMS = arg('streams', 200);
const ROUNDS = arg('rounds', 30);
const flag = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const KB = flag('kb') === 'on';
const PROF_DIR = flag('prof');
const ANSWER = '基准测试的回答'.repeat(19).slice(0, 128);

interface Sample {
  ttft: number;
  total: number;
  ok: boolean;
}

async function direct(baseUrl: string): Promise<Sample> {
  const start = performance.now();
  let ttft = NaN;
  let text = '';
  const response = await fetch(`${baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'bench', stream: true, messages: [{ role: 'user', content: '基准' }] }),
  });
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const event = buffer.slice(0, end).replace(/^data: /, '');
      buffer = buffer.slice(end + 2);
      if (event === '[DONE]') continue;
      const delta = JSON.parse(event).choices?.[0]?.delta?.content;
      if (delta) {
        if (Number.isNaN(ttft)) ttft = performance.now() - start;
        text += delta;
      }
    }
  }
  return { ttft, total: performance.now() - start, ok: text === ANSWER };
}

/** Opens a socket and logs in (not timed); returns a function that times one streamed chat. */
async function gatewayClient(wsUrl: string, code: string): Promise<{ chat: () => Promise<Sample>; close: () => void }> {
  const socket = new WebSocket(wsUrl);
  let handler: ((frame: any) => void) | undefined;
  socket.on('message', (data) => handler?.(JSON.parse(data.toString())));
  await once(socket, 'open');
  await new Promise<void>((resolve) => {
    handler = (frame) => frame.type === 'login_response' && resolve();
    socket.send(JSON.stringify({ type: 'login', code }));
  });
  return {
    chat: () =>
      new Promise<Sample>((resolve) => {
        const start = performance.now();
        let ttft = NaN;
        let text = '';
        handler = (frame) => {
          if (frame.type === 'chat_delta') {
            if (Number.isNaN(ttft)) ttft = performance.now() - start;
            text += frame.data.delta;
          } else if (frame.type === 'chat_response' || frame.type === 'error') {
            resolve({ ttft, total: performance.now() - start, ok: frame.code === 0 && text === ANSWER && frame.data.msg === ANSWER });
          }
        };
        socket.send(JSON.stringify({ type: 'chat', query: '基准', stream: true }));
      }),
    close: () => socket.close(),
  };
}

function report(label: string, samples: Sample[], baseline?: Sample[]): void {
  const ttft = samples.map((s) => s.ttft);
  const lost = samples.filter((s) => !s.ok).length;
  let line = `${label.padEnd(34)} TTFT p50 ${pct(ttft, 50).toFixed(2)} ms  p99 ${pct(ttft, 99).toFixed(2)} ms  total p50 ${pct(samples.map((s) => s.total), 50).toFixed(0)} ms  lost ${lost}/${samples.length}`;
  if (baseline) {
    const base = baseline.map((s) => s.ttft);
    line += `  → added TTFT p50 ${(pct(ttft, 50) - pct(base, 50)).toFixed(2)} ms, p99 ${(pct(ttft, 99) - pct(base, 99)).toFixed(2)} ms`;
  }
  console.log(line);
}

const model = spawn(process.execPath, ['--import', 'tsx', 'bench/fake-llm-process.ts', '--pace=20'], { stdio: ['ignore', 'pipe', 'inherit'] });
const [line] = (await once(model.stdout!, 'data')) as [Buffer];
const baseUrl = line.toString().trim();
const gateway = await spawnServer({
  LLM_BASE_URL: baseUrl,
  LOG_LEVEL: 'warn',
  LLM_MAX_CONCURRENCY: '10000',
  LLM_QUEUE_SIZE: '10000',
  WS_MAX_CONNECTIONS_PER_IP: '100000',
  // every client comes from one IP and one user asks ROUNDS times a minute: limits high enough
  // never to refuse, but still checked on every chat, as in production
  USER_CHATS_PER_MINUTE: '1000000',
  USER_TOKENS_PER_DAY: '1000000000',
  IP_LOGINS_PER_MINUTE: '1000000',
  IP_CONNECTIONS_PER_MINUTE: '1000000',
  WS_MAX_UNAUTHENTICATED: '100000',
  KB_LOAD_SAMPLE: String(KB),
}, {
  nodeArgs: [
    ...(PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROF_DIR}`] : []),
    ...process.argv.filter((a) => a.startsWith('--node-arg=')).map((a) => a.slice('--node-arg='.length)),
  ],
});
const pid = gateway.child.pid!;
console.log(`gateway pid ${pid}`);

try {
  console.log(`gateway-streaming benchmark — node ${process.version}, 64 deltas @ 20 ms, ${ROUNDS} sequential rounds, ${STREAMS} concurrent streams, knowledge base ${KB ? 'on' : 'off'}\n`);
  const warm = await gatewayClient(gateway.wsUrl, 'warmup');
  for (let i = 0; i < 5; i++) {
    await direct(baseUrl);
    await warm.chat();
  }
  warm.close();

  // c = 1, interleaved rounds so both legs see the same machine state
  const one = await gatewayClient(gateway.wsUrl, 'single');
  const directOne: Sample[] = [];
  const gatewayOne: Sample[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    directOne.push(await direct(baseUrl));
    gatewayOne.push(await one.chat());
  }
  one.close();
  report('c=1 direct (baseline)', directOne);
  report('c=1 via gateway', gatewayOne, directOne);

  // c = STREAMS concurrent streams, after one unmeasured round at that concurrency: its
  // connections to the model, and the JIT compiling what only runs hot there, are start-up
  // costs that a long-running server pays once
  await Promise.all(Array.from({ length: STREAMS }, () => direct(baseUrl)));
  const directMany = await Promise.all(Array.from({ length: STREAMS }, () => direct(baseUrl)));
  const clients = await Promise.all(Array.from({ length: STREAMS }, (_, i) => gatewayClient(gateway.wsUrl, `user${i}`)));
  await Promise.all(clients.map((c) => c.chat()));
  await sleep(500); // the warm round's tail ends: a profile shows the measured chats apart
  const cpuBefore = cpuMs(pid);
  const started = performance.now();
  const gatewayMany = await Promise.all(clients.map((c) => c.chat()));
  const wall = performance.now() - started;
  const cpu = cpuMs(pid) - cpuBefore;
  clients.forEach((c) => c.close());
  report(`c=${STREAMS} direct (baseline)`, directMany);
  report(`c=${STREAMS} via gateway`, gatewayMany, directMany);
  const frames = STREAMS * 64;
  console.log(
    `\ngateway CPU for ${STREAMS} concurrent streams: ${cpu.toFixed(0)} ms over ${wall.toFixed(0)} ms wall ` +
      `(${((cpu / STREAMS) * 1000).toFixed(0)} µs per stream, ${((cpu / frames) * 1000).toFixed(1)} µs per model delta; ` +
      `includes login checks, SQLite writes of question + answer)`,
  );
  const lost = [...gatewayOne, ...gatewayMany].filter((s) => !s.ok).length;
  if (lost > 0) {
    console.error(`FAIL: ${lost} answers lost or garbled`);
    process.exitCode = 1;
  }
} finally {
  await gateway.stop();
  model.kill('SIGTERM');
}
