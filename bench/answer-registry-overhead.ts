/**
 * What sharing answers in flight over Redis costs the generating instance.
 *
 * In one run, two gateways in this process on the same Redis stores and the same fake model
 * (by default every delta at once with STREAM_COALESCE_MS=0: the worst case, one stream entry
 * per model delta):
 *   memory — the answer registry of one process (the baseline);
 *   redis  — the shared registry (lock + stream entry per delta + result entry).
 * Rounds are interleaved (the order alternates) so the machine's noise hits both alike.
 * Reported: chats/s with `--clients` concurrent streaming clients, time to first delta p50/p99.
 *
 *   node --import tsx bench/answer-registry-overhead.ts [--clients=20 --chats=5 --rounds=6 --pace=0 --coalesce=0]
 *   (--pace=20 --coalesce=50: a model pacing its deltas, with the default coalescing)
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { createApp, type App } from '../src/app.js';
import { MemoryAnswerRegistry } from '../src/chat/answer-registry/memory-answer-registry.js';
import { composeAdapters } from '../src/compose/compose-adapters.js';
import { loadConfig } from '../src/config/load-config.js';
import { createLogger } from '../src/observability/logger.js';
import { startFakeLlmServer } from '../test/support/fake-llm-server.js';
import { WsTestClient } from '../test/support/ws-test-client.js';
import { pct } from './percentile.js';

const arg = (name: string, fallback: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const CLIENTS = arg('clients', 20);
const CHATS = arg('chats', 5);
const ROUNDS = arg('rounds', 6);
/** ms between the model's deltas (0 = all at once, the CPU-bound worst case) */
const PACE = arg('pace', 0);
/** STREAM_COALESCE_MS: 0 = one stream entry per model delta (worst case); 50 is the default */
const COALESCE = arg('coalesce', 0);
const ANSWER = '共享回答的开销'.repeat(40).slice(0, PACE > 0 ? 128 : 256);
const prefix = `wag-bench-answers-${randomBytes(4).toString('hex')}:`;

async function gateway(llmUrl: string, registry: 'memory' | 'redis'): Promise<{ app: App; wsUrl: string }> {
  const config = loadConfig({
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'warn',
    LLM_BASE_URL: llmUrl,
    LLM_API_KEY: 'k',
    REDIS_URL: 'redis://127.0.0.1:6379',
    REDIS_KEY_PREFIX: prefix,
    STREAM_COALESCE_MS: String(COALESCE),
    LLM_MAX_CONCURRENCY: '1000',
    USER_CHATS_PER_MINUTE: '0',
    USER_TOKENS_PER_DAY: '0',
    IP_LOGINS_PER_MINUTE: '0',
    IP_CONNECTIONS_PER_MINUTE: '0',
    WS_MAX_CONNECTIONS_PER_IP: '10000',
  });
  const logger = createLogger({ level: 'warn', destination: new Writable({ write: (_c, _e, done) => done() }) });
  const adapters = await composeAdapters(config, logger, { knowledgeBase: false });
  if (registry === 'memory') {
    await adapters.answers.close();
    adapters.answers = new MemoryAnswerRegistry();
  }
  const app = await createApp({ config, logger, ...adapters });
  await app.fastify.listen({ host: '127.0.0.1', port: 0 });
  return { app, wsUrl: `ws://127.0.0.1:${(app.fastify.server.address() as AddressInfo).port}/wechat/ws` };
}

/** `CLIENTS` logged-in sockets, each asking `CHATS` streamed questions one after another. */
async function round(wsUrl: string, tag: string): Promise<{ chatsPerSecond: number; ttfd: number[] }> {
  const clients = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => WsTestClient.loggedIn(wsUrl, `${tag}-${i}`)));
  const ttfd: number[] = [];
  const started = performance.now();
  await Promise.all(
    clients.map(async ({ client }) => {
      for (let n = 0; n < CHATS; n++) {
        const sent = performance.now();
        client.send({ type: 'chat', query: '开销', stream: true });
        await client.nextOf('chat_delta', 30_000);
        ttfd.push(performance.now() - sent);
        const done = await client.nextOf('chat_response', 30_000);
        if (done.data.msg !== ANSWER) throw new Error(`garbled answer: ${done.data.msg}`);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(clients.map(({ client }) => client.close()));
  return { chatsPerSecond: (CLIENTS * CHATS) / seconds, ttfd };
}

const llm = await startFakeLlmServer({ apiKey: 'k', deltaChars: 2, deltaLatencyMs: PACE });
llm.setReply(() => ANSWER);
const variants = { memory: await gateway(llm.baseUrl, 'memory'), redis: await gateway(llm.baseUrl, 'redis') };
const results = { memory: { rates: [] as number[], ttfd: [] as number[] }, redis: { rates: [] as number[], ttfd: [] as number[] } };
try {
  await round(variants.memory.wsUrl, 'warm-m');
  await round(variants.redis.wsUrl, 'warm-r');
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? (['memory', 'redis'] as const) : (['redis', 'memory'] as const);
    for (const name of order) {
      const { chatsPerSecond, ttfd } = await round(variants[name].wsUrl, `${name}-${r}`);
      results[name].rates.push(chatsPerSecond);
      results[name].ttfd.push(...ttfd);
    }
  }
  const median = (values: number[]) => pct([...values].sort((a, b) => a - b), 50);
  console.log(
    `answer registry overhead — ${CLIENTS} clients × ${CHATS} chats × ${ROUNDS} rounds, ${ANSWER.length / 2} model deltas per answer ` +
      `${PACE > 0 ? `paced ${PACE} ms` : 'at once'}, STREAM_COALESCE_MS=${COALESCE}`,
  );
  for (const name of ['memory', 'redis'] as const) {
    const sorted = [...results[name].ttfd].sort((a, b) => a - b);
    console.log(`${name.padEnd(7)} chats/s median ${median(results[name].rates).toFixed(1).padStart(7)}   TTFD p50 ${pct(sorted, 50).toFixed(2)} ms  p99 ${pct(sorted, 99).toFixed(2)} ms`);
  }
} finally {
  await variants.memory.app.shutdown();
  await variants.redis.app.shutdown();
  await llm.close();
  const redis = new Redis('redis://127.0.0.1:6379');
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
}
