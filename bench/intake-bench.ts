/**
 * Scenario 5 of the performance issue: chat intake without a model. How many chats per second
 * does the gateway validate, persist and acknowledge, and how long does the acknowledgement
 * (`chat_processing`) take at p99? Offline mode (no LLM_BASE_URL, empty knowledge base), so the
 * answer is immediate and what is measured is the gateway's own path: parse + validate, session
 * check, limits, storing the question (the ack follows its commit), storing the answer, frames.
 *
 * Two loads, in interleaved rounds after a warm-up, each target driven by load processes of its own:
 *   closed loop — every logged-in client asks again as soon as it is answered: the maximum
 *                 throughput (its ack p99 is mostly queueing, the gateway being saturated);
 *   fixed rate  — chats scheduled at `fixedRate`/s (default 10,000) whatever the gateway does,
 *                 latency measured from the scheduled send time (no coordinated omission): the
 *                 target's "p99 acknowledgement ≤ 20 ms at 10,000 intakes/s" is read here.
 *                 The same at the lower rates of `rampRates` (default 2,500, 5,000, 7,500): a
 *                 gateway past its capacity at 10,000/s builds a queue and its p99 says only
 *                 that, so each target also gets its ceiling — the highest of these rates it kept
 *                 up with, p99 ≤ 20 ms and no failure: what one instance takes within the target.
 * Targets:
 *   raw ws  — a bare `ws` server acking each chat (bench/baselines/raw-ws-ack-server.ts): the baseline;
 *   sqlite  — the compiled gateway (dist/main.js) on its default store;
 *   redis   — the same on the real Redis at 127.0.0.1:6379 (own key prefix, removed after).
 * Limits are lifted as an operator would for a load test, but still checked on every chat.
 *
 * Then one closed-loop window of `sustainedMs` (12 s) on each SQLite target, with no pause: the
 * rounds' targets idle between windows, and a store's background work (the WAL checkpoint) uses
 * that idle time, which a gateway under lasting load never has. The same window runs on one more
 * SQLite gateway per build with the admin console on (`ADMIN_TOKEN`): its background index then
 * works on conversations that grow by dozens of messages a second (before round 13 it read each
 * one whole, on the event loop, and intake fell to a third).
 *
 *   npm run bench:intake [-- --connections=200 --pool=1000 --rounds=3 --round-ms=3000 --loaders=1 --rate=10000 --ramp=2500,5000,7500 --sustained-ms=12000 --no-closed --no-redis --no-sqlite --no-admin --prof-dir=/tmp/p --base=/tmp/base/dist/main.js]
 */
import { pinServer, startOn } from './support/cpu-pin.js';
import { gatewayVersion } from './support/node-runtime.js';
import { randomBytes } from 'node:crypto';
import { readdirSync, readlinkSync, statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { spawnServer, type SpawnedServer } from '../test/support/spawn-server.js';
import type { BenchRow } from './bench-row.js';
import { pct } from './percentile.js';
import { spawnTsx, type LineChild } from './support/line-child.js';
import { LIFTED_LIMITS, METRICS_TOKEN } from './support/gateway-process.js';
import { cpuMs, gcOf } from './support/proc-stats.js';

export interface IntakeBenchOptions {
  /** closed loop: logged-in WebSocket clients per target, all loaders together (default 200) */
  connections?: number;
  /**
   * fixed rate: the pool of logged-in clients the scheduled chats go out on (default 1000). One
   * chat per client at a time, so the pool bounds rate × round trip: 200 clients at 10,000/s
   * would allow only 20 ms per round trip, and the pool, not the gateway, would be measured.
   */
  poolConnections?: number;
  /** load processes per target (default 1; the machine has 2 cores, the gateway takes one) */
  loaders?: number;
  rounds?: number;
  roundMs?: number;
  /** the closed-loop (maximum throughput) windows (default true) */
  closedLoop?: boolean;
  /** chats/s of the fixed-rate windows, all loaders together (default 10,000; 0 = none) */
  fixedRate?: number;
  /** lower fixed rates run in the same rounds, for each target's ceiling (default 2,500, 5,000, 7,500; [] = none) */
  rampRates?: number[];
  warmupMs?: number;
  /** the SQLite store (default true) */
  sqlite?: boolean;
  /** the Redis store (default true) */
  redis?: boolean;
  /** the sustained window also on a SQLite gateway with the admin console on (default true) */
  admin?: boolean;
  redisUrl?: string;
  /**
   * another build's entry point (e.g. /tmp/base/dist/main.js) run as extra targets
   * ("sqlite base", "redis base") in the same interleaved rounds: before/after on one machine state
   */
  baseEntry?: string;
  /** the same, started like the gateway (`npm run bench -- --base=DIR` passes its context's); wins over baseEntry */
  baseCommand?: [string, string[]];
  /** extra node flags for the gateway, e.g. ['--cpu-prof', '--cpu-prof-dir=/tmp/p'] */
  gatewayNodeArgs?: string[];
  /**
   * one closed-loop window this long (ms) on each SQLite target after the rounds, without the
   * pauses between interleaved windows: what a store does under load that lasts (default 12 s; 0 = none)
   */
  sustainedMs?: number;
  /** how the gateway is started on another Node (`npm run bench -- --node=…` passes its context's) */
  gatewayCommand?: [string, string[]] | undefined;
  /** progress lines (default: console.error) */
  log?: (line: string) => void;
}

const TARGET_RATE = 10_000;
const TARGET_P99_MS = 20;
const DEFAULT_RAMP = [2_500, 5_000, 7_500];


interface LoadResult {
  done: number;
  wallMs: number;
  acks: number[];
  errors: Record<string, number>;
  backlog: number;
  cpuMs: number;
}

/** one round of one target: what its loaders reported, plus their own CPU */
interface Sample extends LoadResult {
  loaderCpuMs: number;
  /** redis-server's CPU over the window (Redis targets) */
  redisCpuMs?: number;
}

interface Target {
  label: string;
  url: string;
  pid: number;
  loaders: LineChild[];
  /** closed-loop clients, all loaders together */
  connections: number;
  /** by load: 0 = closed loop, else the fixed rate */
  samples: Map<number, Sample[]>;
  /** Redis targets: reads redis-server's own CPU (INFO cpu), a capacity figure of its own since every instance shares it */
  redis?: Redis;
  /** only in the sustained window (the admin console's gateways), not in the interleaved rounds */
  sustainedOnly?: boolean;
}


export async function intakeBench(opts: IntakeBenchOptions = {}): Promise<BenchRow[]> {
  const connections = opts.connections ?? 200;
  const loaderCount = opts.loaders ?? 1;
  const poolConnections = opts.poolConnections ?? 1_000;
  const fixedRate = opts.fixedRate ?? TARGET_RATE;
  const fixedRates = fixedRate > 0 ? [...new Set([...(opts.rampRates ?? DEFAULT_RAMP).filter((r) => r > 0 && r < fixedRate), fixedRate])].sort((a, b) => a - b) : [];
  const loads = [...((opts.closedLoop ?? true) ? [0] : []), ...fixedRates];
  const rounds = opts.rounds ?? 3;
  const roundMs = opts.roundMs ?? 3_000;
  const warmupMs = opts.warmupMs ?? 2_000;
  const log = opts.log ?? ((line: string) => console.error(line));
  const redisUrl = opts.redisUrl ?? 'redis://127.0.0.1:6379';
  const prefix = `wag-bench-${randomBytes(4).toString('hex')}:`;
  const gatewayEnv = { ...LIFTED_LIMITS, LOG_LEVEL: 'warn', KB_LOAD_SAMPLE: 'false', CONTENT_SECURITY: 'off', CONSOLE_ENABLED: 'false', METRICS_TOKEN };

  const raw = spawnTsx('bench/baselines/raw-ws-ack-server.ts');
  const servers: SpawnedServer[] = [];
  const targets: Target[] = [];
  const redisProbe = (opts.redis ?? true) ? new Redis(redisUrl, { lazyConnect: true }) : undefined;
  try {
    const rawUrl = await raw.nextLine();
    pinServer(raw.child.pid);
    const wanted: Array<[string, string, number]> = [['raw ws', rawUrl, raw.child.pid!]];
    const builds: Array<[string, [string, string[]] | undefined]> = [['', opts.gatewayCommand]];
    const base = opts.baseCommand ?? (opts.baseEntry ? [process.execPath, [opts.baseEntry]] : undefined);
    if (base) builds.push([' base', base]);
    for (const [suffix, command] of builds) {
      if (opts.sqlite ?? true) {
        const sqlite = await spawnServer(gatewayEnv, { nodeArgs: opts.gatewayNodeArgs, command, ...startOn() });
        servers.push(sqlite);
        pinServer(sqlite.child.pid);
        wanted.push([`sqlite${suffix}`, sqlite.wsUrl, sqlite.child.pid!]);
      }
      if ((opts.sqlite ?? true) && (opts.admin ?? true) && (opts.sustainedMs ?? 12_000) > 0) {
        const admin = await spawnServer({ ...gatewayEnv, ADMIN_TOKEN: randomBytes(24).toString('hex') }, { nodeArgs: opts.gatewayNodeArgs, command, ...startOn() });
        servers.push(admin);
        pinServer(admin.child.pid);
        wanted.push([`sqlite admin${suffix}`, admin.wsUrl, admin.child.pid!]);
      }
      if (opts.redis ?? true) {
        const env = { ...gatewayEnv, REDIS_URL: redisUrl, REDIS_KEY_PREFIX: `${prefix}${suffix.trim()}` };
        const redis = await spawnServer(env, { nodeArgs: opts.gatewayNodeArgs, command, ...startOn() });
        servers.push(redis);
        pinServer(redis.child.pid);
        wanted.push([`redis${suffix}`, redis.wsUrl, redis.child.pid!]);
      }
    }
    // GC_MODE=auto decides at start (one CPU, as pinned: single-threaded)
    log(`  GC: ${wanted.slice(1).map(([label, , pid]) => `${label} ${gcOf(pid)}`).join(', ')}`);
    // logged-in clients for a target (its sockets idle meanwhile: a gateway closes sockets silent for minutes)
    const connect = async (label: string, url: string, clients: number) => {
      const loaders = Array.from({ length: loaderCount }, (_, i) => spawnTsx('bench/intake-load.ts', [url, String(Math.ceil(clients / loaderCount)), `${label.replace(/\W/g, '')}${i}`]));
      await Promise.all(loaders.map(async (l) => JSON.parse(await l.nextLine())));
      return loaders;
    };
    for (const [label, url, pid] of wanted) {
      // the admin console's gateways run one window after the rounds: their clients log in then
      const sustainedOnly = label.startsWith('sqlite admin');
      const loaders = sustainedOnly ? [] : await connect(label, url, Math.max(connections, fixedRate > 0 ? poolConnections : 0));
      targets.push({ label, url, pid, loaders, connections, samples: new Map(loads.map((load) => [load, []])), redis: label.startsWith('redis') ? redisProbe : undefined, sustainedOnly });
    }
    log(`intake bench — gateway on node ${gatewayVersion(opts.gatewayCommand)}, ${connections} closed-loop clients${fixedRate > 0 ? `, ${poolConnections} at ${fixedRates.join(', ')}/s` : ''}, ${loaderCount} load process(es) per target, ${rounds} rounds of ${roundMs} ms`);

    const interleaved = targets.filter((t) => !t.sustainedOnly);
    for (const target of interleaved) await runWindow(target, warmupMs, 0);
    for (let round = 0; round < rounds; round++) {
      for (const load of loads) {
        for (const target of interleaved) {
          const s = await runWindow(target, roundMs, load);
          target.samples.get(load)!.push(s);
          log(`  round ${round + 1} ${target.label.padEnd(11)} ${loadLabel(load).padEnd(11)} ${((s.done / s.wallMs) * 1000).toFixed(0)} chats/s  ack p50 ${pct(s.acks, 50).toFixed(2)} p99 ${pct(s.acks, 99).toFixed(2)} ms  backlog ${s.backlog}  CPU ${((s.cpuMs / s.wallMs) * 100).toFixed(0)}%  loader CPU ${((s.loaderCpuMs / s.wallMs) * 100).toFixed(0)}%`);
        }
      }
    }
    const rows = [...loads.flatMap((load) => toRows(interleaved, load)), ...ceilingRows(interleaved, fixedRates)];
    // The interleaved windows each last 3 s and every target idles between its windows, which
    // a store's background work (the WAL checkpoint) uses: a gateway under lasting load gets no
    // such pause. (Before round 12 its WAL never started over and this window ran ~1.6× slower.)
    const sustainedMs = opts.sustainedMs ?? 12_000;
    const rawSamples = targets.find((t) => t.label === 'raw ws')!.samples.get(0);
    const rawRate = rawSamples?.length ? rateOf(rawSamples) : undefined;
    const sustainedRates = new Map<string, number>();
    for (const target of sustainedMs > 0 ? targets.filter((t) => t.label.startsWith('sqlite')) : []) {
      if (target.sustainedOnly) {
        target.loaders.push(...(await connect(target.label, target.url, connections)));
        await runWindow(target, warmupMs, 0);
      }
      const s = await runWindow(target, sustainedMs, 0);
      const wal = walFileBytes(target.pid);
      log(`  sustained ${target.label.padEnd(11)} ${((s.done / s.wallMs) * 1000).toFixed(0)} chats/s  CPU ${((s.cpuMs / s.done) * 1000).toFixed(1)} µs/intake  WAL ${wal === undefined ? '?' : (wal / 1e6).toFixed(1)} MB`);
      sustainedRates.set(target.label, (s.done / s.wallMs) * 1000);
      // the admin console's gateway against the same build without it; the others against raw ws
      const plain = target.label.replace('sqlite admin', 'sqlite');
      const baseline = target.sustainedOnly
        ? sustainedRates.has(plain) ? { label: `${plain}, admin console off, same window`, value: round(sustainedRates.get(plain)!) } : undefined
        : rawRate !== undefined ? { label: 'raw ws ack server, interleaved', value: round(rawRate) } : undefined;
      rows.push(...sustainedRows(target.label, sustainedMs, s, wal, baseline));
    }
    return rows;
  } finally {
    for (const target of targets) await Promise.all(target.loaders.map((l) => l.stop()));
    await Promise.all(servers.map((s) => s.stop()));
    await raw.stop();
    redisProbe?.disconnect();
    if (opts.redis ?? true) await removeKeys(redisUrl, prefix);
  }
}

const loadLabel = (load: number) => (load === 0 ? 'closed loop' : `@${load / 1000}k/s`);

/**
 * One window on one target: every loader asks for `ms` (closed loop, or its share of the fixed
 * `rate`), the target's CPU is read around it.
 */
async function runWindow(target: Target, ms: number, rate: number): Promise<Sample> {
  const redisBefore = target.redis && (await redisCpuMs(target.redis));
  const before = cpuMs(target.pid);
  const started = performance.now();
  const command = rate > 0 ? { run: ms, rate: rate / target.loaders.length } : { run: ms, clients: Math.ceil(target.connections / target.loaders.length) };
  for (const loader of target.loaders) loader.child.stdin!.write(`${JSON.stringify(command)}\n`);
  const results = await Promise.all(target.loaders.map(async (l) => JSON.parse(await l.nextLine()) as LoadResult));
  // the window is the loaders' own; the gateway's CPU over it includes the drain (a few ms)
  const wallMs = Math.max(...results.map((r) => r.wallMs));
  const cpu = cpuMs(target.pid) - before;
  const elapsed = performance.now() - started;
  const redisCpu = target.redis && redisBefore !== undefined ? (await redisCpuMs(target.redis)) - redisBefore : undefined;
  const errors: Record<string, number> = {};
  for (const r of results) for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
  await sleep(200); // let the target settle before the next one runs
  return {
    done: results.reduce((sum, r) => sum + r.done, 0),
    wallMs,
    acks: results.flatMap((r) => r.acks),
    errors,
    backlog: results.reduce((sum, r) => sum + r.backlog, 0),
    cpuMs: (cpu * wallMs) / elapsed,
    loaderCpuMs: results.reduce((sum, r) => sum + r.cpuMs, 0),
    redisCpuMs: redisCpu === undefined ? undefined : (redisCpu * wallMs) / elapsed,
  };
}

const rateOf = (samples: Sample[]) => (samples.reduce((sum, s) => sum + s.done, 0) / samples.reduce((sum, s) => sum + s.wallMs, 0)) * 1000;

/** The size of the SQLite WAL file a process has open (found through /proc: any build, any data dir). */
function walFileBytes(pid: number): number | undefined {
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      const path = readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (path.endsWith('gateway.sqlite-wal')) return statSync(path).size;
    }
  } catch {
    // the process ended, or /proc is not there
  }
  return undefined;
}

function sustainedRows(label: string, ms: number, s: Sample, walBytes: number | undefined, baseline: BenchRow['baseline']): BenchRow[] {
  const scenario = `5 intake ${label} closed loop, ${ms / 1000} s on end`;
  const errors = Object.values(s.errors).reduce((a, b) => a + b, 0);
  const rate = (s.done / s.wallMs) * 1000;
  return [
    { scenario, metric: 'chat intakes/s', value: round(rate), unit: 'chats/s', ...(baseline && { baseline }), target: `≥ ${TARGET_RATE.toLocaleString('en')}`, pass: errors === 0 && rate >= TARGET_RATE },
    { scenario, metric: 'CPU per intake', value: round((s.cpuMs / s.done) * 1000, 1), unit: 'µs' },
    ...(walBytes === undefined ? [] : [{ scenario, metric: 'WAL file at the end', value: round(walBytes / 1e6, 1), unit: 'MB' }]),
    { scenario, metric: 'failed intakes', value: errors, unit: 'chats', target: '0', pass: errors === 0 },
  ];
}

/** redis-server's user + system CPU so far, ms (INFO cpu: the server may run anywhere) */
async function redisCpuMs(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const seconds = (name: string) => Number(new RegExp(`^used_cpu_${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? NaN);
  return (seconds('sys') + seconds('user')) * 1000;
}

/** What one target did at one load, over all its rounds. */
function totalsOf(target: Target, load: number) {
  const samples = target.samples.get(load)!;
  const wallMs = samples.reduce((sum, s) => sum + s.wallMs, 0);
  const done = samples.reduce((sum, s) => sum + s.done, 0);
  const acks = samples.flatMap((s) => s.acks);
  const cpu = samples.reduce((sum, s) => sum + s.cpuMs, 0);
  const errors = samples.reduce((sum, s) => sum + Object.values(s.errors).reduce((a, b) => a + b, 0), 0);
  const backlog = samples.reduce((sum, s) => sum + s.backlog, 0);
  const redisCpu = samples.every((s) => s.redisCpuMs !== undefined) ? samples.reduce((sum, s) => sum + s.redisCpuMs!, 0) : undefined;
  const rate = (done / wallMs) * 1000;
  return {
    label: target.label,
    redisCpuUs: redisCpu === undefined ? undefined : (redisCpu / done) * 1000,
    rate,
    p50: pct(acks, 50),
    p99: pct(acks, 99),
    cpuPct: (cpu / wallMs) * 100,
    cpuUs: (cpu / done) * 1000,
    errors,
    backlog,
    errorKinds: samples.map((s) => s.errors),
    // kept up = answered ≥ 99 % of the scheduled rate and nothing left unsent at the end
    keptUp: load > 0 && rate >= load * 0.99 && backlog === 0,
  };
}

/**
 * Each gateway's ceiling: the highest fixed rate it kept up with, acknowledging at p99 within the
 * target and without a failure (0 = none of them), against the raw ws server's.
 */
function ceilingRows(targets: Target[], rates: number[]): BenchRow[] {
  if (rates.length === 0) return [];
  const ceiling = (target: Target) =>
    Math.max(0, ...rates.filter((rate) => {
      const t = totalsOf(target, rate);
      return t.keptUp && t.errors === 0 && t.p99 <= TARGET_P99_MS;
    }));
  const raw = targets.find((t) => t.label === 'raw ws')!;
  const baseline = { label: 'raw ws ack server', value: ceiling(raw) };
  return targets
    .filter((t) => t !== raw)
    .map((t) => {
      const value = ceiling(t);
      return {
        scenario: `5 intake ${t.label}, fixed rates ${rates.map((r) => r.toLocaleString('en')).join(' / ')}/s`,
        metric: `highest rate with ack p99 ≤ ${TARGET_P99_MS} ms`,
        value,
        unit: 'chats/s',
        baseline,
        target: `≥ ${TARGET_RATE.toLocaleString('en')}`,
        pass: value >= TARGET_RATE,
      };
    });
}

/** The rows of one load (0 = closed loop, else the fixed rate), each target against the raw ws baseline. */
function toRows(targets: Target[], load: number): BenchRow[] {
  const totals = targets.map((t) => totalsOf(t, load));
  const base = totals.find((t) => t.label === 'raw ws')!;
  const baseline = (value: number) => ({ label: 'raw ws ack server', value });
  const rows: BenchRow[] = [];
  for (const t of totals.filter((x) => x !== base)) {
    const clean = t.errors === 0;
    if (load === 0) {
      const scenario = `5 intake ${t.label} closed loop`;
      rows.push(
        { scenario, metric: 'chat intakes/s', value: round(t.rate), unit: 'chats/s', baseline: baseline(round(base.rate)), target: `≥ ${TARGET_RATE.toLocaleString('en')}`, pass: clean && t.rate >= TARGET_RATE },
        // saturated on purpose: this p99 is mostly queueing, the target's p99 is the fixed-rate one
        { scenario, metric: 'ack p99 (saturated)', value: round(t.p99, 2), unit: 'ms', baseline: baseline(round(base.p99, 2)) },
      );
    } else {
      const scenario = `5 intake ${t.label} @ ${load.toLocaleString('en')}/s`;
      const { keptUp } = t;
      rows.push(
        // a rate of the ramp is held to itself; the issue's 10,000/s to the target
        { scenario, metric: 'achieved intakes/s', value: round(t.rate), unit: 'chats/s', baseline: baseline(round(base.rate)), ...(load < TARGET_RATE ? { target: 'kept up', pass: clean && keptUp } : { target: `≥ ${TARGET_RATE.toLocaleString('en')}`, pass: clean && keptUp && t.rate >= TARGET_RATE }) },
        { scenario, metric: 'unsent at window end', value: t.backlog, unit: 'chats', target: '0', pass: t.backlog === 0 },
        { scenario, metric: 'ack p99', value: round(t.p99, 2), unit: 'ms', baseline: baseline(round(base.p99, 2)), target: `≤ ${TARGET_P99_MS} ms`, pass: clean && keptUp && t.p99 <= TARGET_P99_MS },
      );
    }
    rows.push(
      { scenario: rows.at(-1)!.scenario, metric: 'ack p50', value: round(t.p50, 2), unit: 'ms', baseline: baseline(round(base.p50, 2)) },
      { scenario: rows.at(-1)!.scenario, metric: 'gateway CPU', value: round(t.cpuPct), unit: '%', baseline: baseline(round(base.cpuPct)) },
      { scenario: rows.at(-1)!.scenario, metric: 'CPU per intake', value: round(t.cpuUs, 1), unit: 'µs', baseline: baseline(round(base.cpuUs, 1)) },
      { scenario: rows.at(-1)!.scenario, metric: 'failed intakes', value: t.errors, unit: 'chats', target: '0', pass: clean },
    );
    // what the shared Redis spends per chat: one Redis core serves about 1 s ÷ this, for all instances
    if (t.redisCpuUs !== undefined) rows.push({ scenario: rows.at(-1)!.scenario, metric: 'Redis CPU per intake', value: round(t.redisCpuUs, 1), unit: 'µs' });
    if (!clean) console.error(`${t.label} ${loadLabel(load)}: failed intakes ${JSON.stringify(t.errorKinds)}`);
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
    poolConnections: num('pool'),
    loaders: num('loaders'),
    rounds: num('rounds'),
    roundMs: num('round-ms'),
    fixedRate: num('rate'),
    rampRates: arg('ramp') === undefined ? undefined : arg('ramp')!.split(',').filter(Boolean).map(Number),
    sustainedMs: num('sustained-ms'),
    closedLoop: !process.argv.includes('--no-closed'),
    sqlite: !process.argv.includes('--no-sqlite'),
    redis: !process.argv.includes('--no-redis'),
    admin: !process.argv.includes('--no-admin'),
    baseEntry: arg('base'),
    gatewayNodeArgs: profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : undefined,
  });
  console.table(rows.map(({ baseline, ...r }) => ({ ...r, baseline: baseline ? `${baseline.value} (${baseline.label})` : '' })));
  if (rows.some((r) => r.pass === false)) process.exitCode = 1;
}
