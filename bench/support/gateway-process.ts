/**
 * The gateway under test: the compiled server (`dist/main.js`, what `npm start` runs) in its
 * own process, configured like a production deployment without a knowledge base (so no
 * retrieval per chat: the seed peer does none), content security off, logins through the fake
 * WeChat, and every cap a load test would hit lifted the way an operator would. The prompt holds
 * as much history as the seed's does (HISTORY_TURNS=10: its HISTORY_LIMIT is 20 messages), so
 * both send the model the same request; the default (20 turns) sends twice the history, ~4% more
 * CPU per chat on the cpu scenario (docs/performance.md, round 15).
 */
import { pinServer, startOn } from './cpu-pin.js';
import { spawnServer, type SpawnedServer } from '../../test/support/spawn-server.js';

export const METRICS_TOKEN = 'bench-metrics-token';

/**
 * What an operator sets for a load test from one address (every client is on 127.0.0.x and
 * each user chats many times a minute): high enough never to refuse, still checked on every chat.
 */
export const LIFTED_LIMITS: Record<string, string> = {
  LLM_MAX_CONCURRENCY: '10000',
  LLM_QUEUE_SIZE: '100000',
  WS_MAX_CONNECTIONS_PER_IP: '100000',
  WS_MAX_UNAUTHENTICATED: '1000000',
  WS_MAX_MESSAGES_PER_SECOND: '100000',
  USER_CHATS_PER_MINUTE: '1000000',
  USER_TOKENS_PER_DAY: '1000000000000',
  IP_LOGINS_PER_MINUTE: '1000000',
  IP_CONNECTIONS_PER_MINUTE: '1000000',
};

export interface GatewayOptions {
  llmBaseUrl: string;
  wechat: { url: string; appId: string; appSecret: string };
  /** ms; 0 = one chat_delta per model delta (the seed peer sends one per delta too) */
  coalesceMs: number;
  env?: Record<string, string>;
  nodeArgs?: string[];
  /** another Node and entry (--node); default: this Node, dist/main.js */
  command?: [string, string[]] | undefined;
}

export function gatewayEnv(options: GatewayOptions): Record<string, string> {
  return {
    NODE_ENV: 'production',
    KB_LOAD_SAMPLE: 'false',
    CONTENT_SECURITY: 'off',
    LOG_LEVEL: 'warn',
    METRICS_TOKEN,
    WECHAT_APPID: options.wechat.appId,
    WECHAT_APP_SECRET: options.wechat.appSecret,
    WECHAT_API_BASE: options.wechat.url,
    LLM_BASE_URL: options.llmBaseUrl,
    LLM_API_KEY: 'bench',
    LLM_MODEL: 'bench',
    STREAM_COALESCE_MS: String(options.coalesceMs),
    HISTORY_TURNS: '10',
    ...LIFTED_LIMITS,
    ...options.env,
  };
}

export async function startGatewayProcess(options: GatewayOptions, cpuList?: string): Promise<SpawnedServer> {
  const server = await spawnServer(gatewayEnv(options), {
    ...(options.nodeArgs && { nodeArgs: options.nodeArgs }),
    ...(options.command && { command: options.command }),
    ...startOn(cpuList),
  });
  pinServer(server.child.pid, cpuList);
  return server;
}

/**
 * Node's event-loop delay histogram (monitorEventLoopDelay, prom-client's default 10 ms
 * sampling) records the whole interval between samples: an idle loop reads 10.1–10.3 ms. Every
 * process of the bench samples every 10 ms, and the figures are the delay beyond that.
 */
export const EVENT_LOOP_SAMPLE_MS = 10;

/** The gateway's /metrics text (Prometheus exposition). */
async function scrapeMetrics(gatewayUrl: string): Promise<string> {
  const response = await fetch(`${gatewayUrl}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  return response.text();
}

/** The gateway's event-loop delay p99 (ms, beyond the sampling interval) since the previous call: prom-client resets the histogram on every scrape. */
export async function eventLoopP99Ms(gatewayUrl: string): Promise<number> {
  const value = /^wag_nodejs_eventloop_lag_p99_seconds (\S+)$/m.exec(await scrapeMetrics(gatewayUrl))?.[1];
  return value === undefined ? NaN : Math.max(0, Number(value) * 1000 - EVENT_LOOP_SAMPLE_MS);
}

/**
 * The gateway's GC so far, from its /metrics: milliseconds its main thread spent in GC (every
 * kind, prom-client's GC histogram) and bytes allocated on its JS heap (Node 26+, else NaN).
 * Allocation per chat is what sets how often the young generation is collected, and unlike CPU
 * time it hardly moves with the machine's load: it shows a change that CPU per chat cannot tell
 * from noise (round 19).
 */
export async function gcSoFar(gatewayUrl: string): Promise<{ ms: number; allocatedBytes: number }> {
  const text = await scrapeMetrics(gatewayUrl);
  const sums = [...text.matchAll(/^wag_nodejs_gc_duration_seconds_sum\{[^}]*\} (\S+)$/gm)];
  const allocated = /^wag_nodejs_heap_allocated_bytes_total (\S+)$/m.exec(text)?.[1];
  return {
    ms: sums.length === 0 ? NaN : sums.reduce((total, [, value]) => total + Number(value) * 1000, 0),
    allocatedBytes: allocated === undefined ? NaN : Number(allocated),
  };
}
