/**
 * Scenario 5 of the performance issue: chat intake without a model. How many chats per second
 * does the gateway validate, persist and acknowledge, and how long does the acknowledgement
 * (`chat_processing`) take at p99? Offline mode (no LLM_BASE_URL, empty knowledge base), so the
 * answer is immediate and what is measured is the gateway's own path: parse + validate, session
 * check, limits, storing the question (the ack follows its commit), storing the answer, frames.
 *
 * Targets, in interleaved rounds after a warm-up, each driven by load processes of their own
 * (closed loop: every logged-in client asks again as soon as it is answered):
 *   raw ws  — a bare `ws` server acking each chat (bench/raw-ws-ack-server.ts): the baseline;
 *   sqlite  — the compiled gateway (dist/main.js) on its default store;
 *   redis   — the same on the real Redis at 127.0.0.1:6379 (own key prefix, removed after).
 * Limits are lifted as an operator would for a load test, but still checked on every chat.
 *
 *   npm run bench:intake [-- --connections=200 --rounds=3 --round-ms=3000 --loaders=1 --no-redis --no-sqlite --prof-dir=/tmp/p]
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { spawnServer, type SpawnedServer } from '../test/support/spawn-server.js';
import type { BenchRow } from './bench-row.js';
import { pct } from './percentile.js';
import { cpuMs, spawnTsx, type LineChild } from './process-cpu.js';

export interface IntakeBenchOptions {
  /** logged-in WebSocket clients per target, all loaders together (default 200) */
  connections?: number;
  /** load processes per target (default 1; the machine has 2 cores, the gateway takes one) */
  loaders?: number;
  rounds?: number;
  roundMs?: number;
  warmupMs?: number;
  /** the SQLite store (default true) */
  sqlite?: boolean;
  /** the Redis store (default true) */
  redis?: boolean;
  redisUrl?: string;
  /** extra node flags for the gateway, e.g. ['--cpu-prof', '--cpu-prof-dir=/tmp/p'] */
  gatewayNodeArgs?: string[];
  /** progress lines (default: console.error) */
  log?: (line: string) => void;
}

const TARGET_RATE = 10_000;
const TARGET_P99_MS = 20;

/** What an operator sets for a load test from one address: high enough never to refuse, still checked. */
export const LIFTED_LIMITS: Record<string, string> = {
  USER_CHATS_PER_MINUTE: '1000000',
  USER_TOKENS_PER_DAY: '1000000000',
  IP_LOGINS_PER_MINUTE: '1000000',
  IP_CONNECTIONS_PER_MINUTE: '1000000',
  WS_MAX_CONNECTIONS_PER_IP: '100000',
  WS_MAX_UNAUTHENTICATED: '100000',
  WS_MAX_MESSAGES_PER_SECOND: '100000',
  LLM_MAX_CONCURRENCY: '10000',
  LLM_QUEUE_SIZE: '10000',
};

interface Target {
  label: string;
  pid: number;
  loaders: LineChild[];
  samples: { done: number; wallMs: number; acks: number[]; errors: Record<string, number>; cpuMs: number; loaderCpuMs: number }[];
}

interface LoadResult {
  done: number;
  wallMs: number;
  acks: number[];
  errors: Record<string, number>;
  cpuMs: number;
}

export async function intakeBench(opts: IntakeBenchOptions = {}): Promise<BenchRow[]> {
  const connections = opts.connections ?? 200;
  const loaderCount = opts.loaders ?? 1;
  const rounds = opts.rounds ?? 3;
  const roundMs = opts.roundMs ?? 3_000;
  const warmupMs = opts.warmupMs ?? 2_000;
  const log = opts.log ?? ((line: string) => console.error(line));
  const redisUrl = opts.redisUrl ?? 'redis://127.0.0.1:6379';
  const prefix = `wag-bench-${randomBytes(4).toString('hex')}:`;
  const gatewayEnv = { ...LIFTED_LIMITS, LOG_LEVEL: 'warn', KB_LOAD_SAMPLE: 'false', CONTENT_SECURITY: 'off', CONSOLE_ENABLED: 'false' };

  const raw = spawnTsx('bench/raw-ws-ack-server.ts');
  const servers: SpawnedServer[] = [];
  const targets: Target[] = [];
  try {
    const rawUrl = await raw.nextLine();
    const wanted: Array<[string, string, number]> = [['raw ws', rawUrl, raw.child.pid!]];
    if (opts.sqlite ?? true) {
      const sqlite = await spawnServer(gatewayEnv, { nodeArgs: opts.gatewayNodeArgs });
      servers.push(sqlite);
      wanted.push(['sqlite', sqlite.wsUrl, sqlite.child.pid!]);
    }
    if (opts.redis ?? true) {
      const redis = await spawnServer({ ...gatewayEnv, REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix }, { nodeArgs: opts.gatewayNodeArgs });
      servers.push(redis);
      wanted.push(['redis', redis.wsUrl, redis.child.pid!]);
    }
    for (const [label, url, pid] of wanted) {
      const per = Math.ceil(connections / loaderCount);
      const loaders = Array.from({ length: loaderCount }, (_, i) => spawnTsx('bench/intake-load.ts', [url, String(per), `${label.replace(/\W/g, '')}${i}`]));
      await Promise.all(loaders.map(async (l) => JSON.parse(await l.nextLine())));
      targets.push({ label, pid, loaders, samples: [] });
    }
    log(`intake bench — node ${process.version}, ${connections} logged-in clients × ${loaderCount} load process(es) per target, ${rounds} rounds of ${roundMs} ms`);

    for (const target of targets) await runWindow(target, warmupMs);
    for (let round = 0; round < rounds; round++) {
      for (const target of targets) {
        target.samples.push(await runWindow(target, roundMs));
        const s = target.samples.at(-1)!;
        log(`  round ${round + 1} ${target.label.padEnd(7)} ${((s.done / s.wallMs) * 1000).toFixed(0)} chats/s  ack p99 ${pct(s.acks, 99).toFixed(2)} ms  CPU ${((s.cpuMs / s.wallMs) * 100).toFixed(0)}%  loader CPU ${((s.loaderCpuMs / s.wallMs) * 100).toFixed(0)}%`);
      }
    }
    return toRows(targets);
  } finally {
    for (const target of targets) await Promise.all(target.loaders.map((l) => l.stop()));
    await Promise.all(servers.map((s) => s.stop()));
    await raw.stop();
    if (opts.redis ?? true) await removeKeys(redisUrl, prefix);
  }
}

/** One window on one target: every loader asks for `ms`, the target's CPU is read around it. */
async function runWindow(target: Target, ms: number): Promise<Target['samples'][number]> {
  const before = cpuMs(target.pid);
  const started = performance.now();
  for (const loader of target.loaders) loader.child.stdin!.write(`${JSON.stringify({ run: ms })}\n`);
  const results = await Promise.all(target.loaders.map(async (l) => JSON.parse(await l.nextLine()) as LoadResult));
  // the window is the loaders' own; the gateway's CPU over it includes the drain (a few ms)
  const wallMs = Math.max(...results.map((r) => r.wallMs));
  const cpu = cpuMs(target.pid) - before;
  const elapsed = performance.now() - started;
  const errors: Record<string, number> = {};
  for (const r of results) for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
  await sleep(200); // let the target settle before the next one runs
  return {
    done: results.reduce((sum, r) => sum + r.done, 0),
    wallMs,
    acks: results.flatMap((r) => r.acks),
    errors,
    cpuMs: (cpu * wallMs) / elapsed,
    loaderCpuMs: results.reduce((sum, r) => sum + r.cpuMs, 0),
  };
}

function toRows(targets: Target[]): BenchRow[] {
  const totals = targets.map((t) => {
    const wallMs = t.samples.reduce((sum, s) => sum + s.wallMs, 0);
    const done = t.samples.reduce((sum, s) => sum + s.done, 0);
    const acks = t.samples.flatMap((s) => s.acks);
    const cpu = t.samples.reduce((sum, s) => sum + s.cpuMs, 0);
    const errors = t.samples.reduce((sum, s) => sum + Object.values(s.errors).reduce((a, b) => a + b, 0), 0);
    return { label: t.label, rate: (done / wallMs) * 1000, p50: pct(acks, 50), p99: pct(acks, 99), cpuPct: (cpu / wallMs) * 100, cpuUs: (cpu / done) * 1000, errors, errorKinds: t.samples.map((s) => s.errors) };
  });
  const base = totals.find((t) => t.label === 'raw ws')!;
  const rows: BenchRow[] = [];
  for (const t of totals.filter((x) => x !== base)) {
    const scenario = `5 intake ${t.label}`;
    const clean = t.errors === 0;
    rows.push(
      { scenario, metric: 'chat intakes/s', value: round(t.rate), unit: 'chats/s', baseline: { label: 'raw ws ack server', value: round(base.rate) }, target: `≥ ${TARGET_RATE.toLocaleString('en')}`, pass: clean && t.rate >= TARGET_RATE },
      { scenario, metric: 'ack p99', value: round(t.p99, 2), unit: 'ms', baseline: { label: 'raw ws ack server', value: round(base.p99, 2) }, target: `≤ ${TARGET_P99_MS} ms`, pass: clean && t.p99 <= TARGET_P99_MS },
      { scenario, metric: 'ack p50', value: round(t.p50, 2), unit: 'ms', baseline: { label: 'raw ws ack server', value: round(base.p50, 2) } },
      { scenario, metric: 'gateway CPU', value: round(t.cpuPct), unit: '%', baseline: { label: 'raw ws ack server', value: round(base.cpuPct) } },
      { scenario, metric: 'CPU per intake', value: round(t.cpuUs, 1), unit: 'µs', baseline: { label: 'raw ws ack server', value: round(base.cpuUs, 1) } },
      { scenario, metric: 'failed intakes', value: t.errors, unit: 'chats', target: '0', pass: clean },
    );
    if (!clean) console.error(`${t.label}: failed intakes ${JSON.stringify(t.errorKinds)}`);
  }
  return rows;
}

const round = (value: number, digits = 0) => Number(value.toFixed(digits));

async function removeKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const num = (name: string) => (arg(name) === undefined ? undefined : Number(arg(name)));
  const profDir = arg('prof-dir');
  const rows = await intakeBench({
    connections: num('connections'),
    loaders: num('loaders'),
    rounds: num('rounds'),
    roundMs: num('round-ms'),
    sqlite: !process.argv.includes('--no-sqlite'),
    redis: !process.argv.includes('--no-redis'),
    gatewayNodeArgs: profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : undefined,
  });
  console.table(rows.map(({ baseline, ...r }) => ({ ...r, baseline: baseline ? `${baseline.value} (${baseline.label})` : '' })));
  if (rows.some((r) => r.pass === false)) process.exitCode = 1;
}
