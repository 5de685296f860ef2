/**
 * Scenario 6 of the performance issue: the seed's HTTP endpoints at 100 connections.
 *   GET /wechat/health — against a bare `node:http` server answering the same shape in its own
 *                        process (bench/baselines/bare-health-server.ts): the ceiling of this machine;
 *   POST /wechat/login — every request a fresh `wx.login` code, exchanged with the fake WeChat
 *                        (zero delay, its own process) and stored as a session; against the fake
 *                        WeChat's own code2Session hit directly: the upstream's ceiling.
 * The load is autocannon's, from this process; the gateway is the compiled dist/main.js in its
 * own, on the default SQLite store. Interleaved rounds after a warm-up; the gateway's CPU
 * utilisation is read from /proc around each round.
 *
 * With `--base=<another build's dist/main.js>`, that build runs as two more targets ("health base",
 * "login base") in the same interleaved rounds: a before/after on one machine state.
 *
 *   npm run bench:http [-- --connections=100 --rounds=3 --seconds=5 --prof-dir=/tmp/p --base=/tmp/base/dist/main.js]
 */
import { pinServer, startOn } from './support/cpu-pin.js';
import { gatewayVersion } from './support/node-runtime.js';
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import { spawnServer, type SpawnedServer } from '../test/support/spawn-server.js';
import type { BenchRow } from './bench-row.js';
import { LIFTED_LIMITS } from './support/gateway-process.js';
import { spawnTsx } from './support/line-child.js';
import { cpuMs } from './support/proc-stats.js';

export interface HttpBenchOptions {
  /** concurrent HTTP connections (default 100, as in the issue) */
  connections?: number;
  rounds?: number;
  /** length of one round per target, seconds */
  seconds?: number;
  /** extra node flags for the gateway, e.g. ['--cpu-prof', '--cpu-prof-dir=/tmp/p'] */
  gatewayNodeArgs?: string[];
  /** how the gateway is started on another Node (`npm run bench -- --node=…` passes its context's) */
  gatewayCommand?: [string, string[]] | undefined;
  /** another build, started like the gateway (e.g. [process.execPath, ['/tmp/base/dist/main.js']]) */
  baseCommand?: [string, string[]];
  /** run only these targets (e.g. ['login'] to profile one path); rows need all four */
  only?: string[];
  log?: (line: string) => void;
}

const TARGET_HEALTH = 15_000;
const APP_ID = 'wx-bench-appid';
const APP_SECRET = 'bench-app-secret';

interface Round {
  rps: number;
  /** the target's CPU time per request, µs */
  cpuUs: number;
  p99: number;
  errors: number;
  cpuPct: number;
}

type Target = { label: string; pid?: number; run: (seconds: number) => autocannon.Options };

export async function httpBench(opts: HttpBenchOptions = {}): Promise<BenchRow[]> {
  const connections = opts.connections ?? 100;
  const rounds = opts.rounds ?? 3;
  const seconds = opts.seconds ?? 5;
  const log = opts.log ?? ((line: string) => console.error(line));

  const bare = spawnTsx('bench/baselines/bare-health-server.ts');
  const wechat = spawnTsx('test/support/fake-wechat-cli.ts', ['0'], { WECHAT_APPID: APP_ID, WECHAT_APP_SECRET: APP_SECRET });
  const gateways: SpawnedServer[] = [];
  try {
    const bareUrl = await bare.nextLine();
    pinServer(bare.child.pid);
    const wechatUrl = (await wechat.nextLine()).split(' ').at(-1)!;
    const env = {
      ...LIFTED_LIMITS,
      LOG_LEVEL: 'warn',
      KB_LOAD_SAMPLE: 'false',
      CONSOLE_ENABLED: 'false',
      CONTENT_SECURITY: 'off',
      WECHAT_APPID: APP_ID,
      WECHAT_APP_SECRET: APP_SECRET,
      WECHAT_API_BASE: wechatUrl,
    };
    for (const command of [opts.gatewayCommand, ...(opts.baseCommand ? [opts.baseCommand] : [])]) {
      const gateway = await spawnServer(env, { nodeArgs: opts.gatewayNodeArgs, command, ...startOn() });
      gateways.push(gateway);
      pinServer(gateway.child.pid);
    }
    // every login needs a code WeChat has not seen: a per-run prefix and a counter
    const codes = freshCodes();
    const gatewayTargets = (gateway: SpawnedServer, suffix: string): Target[] => [
      { label: `health${suffix}`, pid: gateway.child.pid, run: (s) => ({ url: `${gateway.url}/wechat/health`, duration: s, connections }) },
      {
        label: `login${suffix}`,
        pid: gateway.child.pid,
        run: (s) => ({
          url: gateway.url,
          duration: s,
          connections,
          requests: [{ method: 'POST', path: '/wechat/login', headers: { 'content-type': 'application/json' }, setupRequest: (r) => ({ ...r, body: JSON.stringify({ code: codes() }) }) }],
        }),
      },
    ];
    const targets: Target[] = [
      { label: 'bare health', pid: bare.child.pid, run: (s) => ({ url: `${bareUrl}/wechat/health`, duration: s, connections }) },
      {
        label: 'wechat direct',
        pid: wechat.child.pid,
        run: (s) => ({
          url: wechatUrl,
          duration: s,
          connections,
          requests: [{ method: 'GET', setupRequest: (r) => ({ ...r, path: `/sns/jscode2session?appid=${APP_ID}&secret=${APP_SECRET}&js_code=${codes()}&grant_type=authorization_code` }) }],
        }),
      },
      ...gateways.flatMap((gateway, i) => gatewayTargets(gateway, i === 0 ? '' : ' base')),
    ];
    if (opts.only) targets.splice(0, targets.length, ...targets.filter((t) => opts.only!.includes(t.label)));
    log(`HTTP bench — gateway on node ${gatewayVersion(opts.gatewayCommand)}, autocannon, ${connections} connections, ${rounds} rounds of ${seconds} s per target`);
    for (const target of targets) await measure(target, 1);
    const results = new Map<string, Round[]>(targets.map((t) => [t.label, []]));
    for (let round = 0; round < rounds; round++) {
      for (const target of targets) {
        const r = await measure(target, seconds);
        results.get(target.label)!.push(r);
        log(`  round ${round + 1} ${target.label.padEnd(14)} ${r.rps.toFixed(0)} req/s  p99 ${r.p99} ms  errors ${r.errors}  CPU ${r.cpuPct.toFixed(0)}% (${r.cpuUs.toFixed(0)} µs/req)`);
      }
    }
    return opts.only ? [] : toRows(results);
  } finally {
    await Promise.all(gateways.map((gateway) => gateway.stop()));
    await Promise.all([bare.stop(), wechat.stop()]);
  }
}

async function measure(target: Target, seconds: number): Promise<Round> {
  const before = target.pid ? cpuMs(target.pid) : 0;
  const started = performance.now();
  const result = await autocannon(target.run(seconds));
  const cpu = target.pid ? cpuMs(target.pid) - before : NaN;
  const wall = performance.now() - started;
  // a refused login (4xx/5xx) is an error too: every request must have been served
  const errors = result.errors + result.timeouts + result.non2xx;
  return { rps: result.requests.total / (wall / 1000), cpuUs: (cpu / result.requests.total) * 1000, p99: result.latency.p99, errors, cpuPct: (cpu / wall) * 100 };
}

function freshCodes(): () => string {
  const prefix = randomBytes(4).toString('hex');
  let n = 0;
  return () => `${prefix}-${n++}`;
}

function toRows(results: Map<string, Round[]>): BenchRow[] {
  const sum = (label: string) => {
    const rounds = results.get(label)!;
    const mean = (f: (r: Round) => number) => rounds.reduce((s, r) => s + f(r), 0) / rounds.length;
    return { rps: mean((r) => r.rps), cpuUs: mean((r) => r.cpuUs), p99: Math.max(...rounds.map((r) => r.p99)), cpuPct: mean((r) => r.cpuPct), errors: rounds.reduce((s, r) => s + r.errors, 0) };
  };
  const bare = sum('bare health');
  const health = sum('health');
  const direct = sum('wechat direct');
  const login = sum('login');
  const r0 = (v: number) => Math.round(v);
  const bareBase = { label: 'bare node:http health', value: r0(bare.rps) };
  const base: BenchRow[] = [];
  if (results.has('health base')) {
    const [health, login] = [sum('health base'), sum('login base')];
    base.push(
      { scenario: '6 http health base', metric: 'requests/s', value: r0(health.rps), unit: 'req/s', baseline: bareBase },
      { scenario: '6 http health base', metric: 'CPU per request', value: r0(health.cpuUs), unit: 'µs', baseline: { label: 'bare node:http health', value: r0(bare.cpuUs) } },
      { scenario: '6 http login base', metric: 'requests/s', value: r0(login.rps), unit: 'req/s', baseline: { label: 'fake WeChat code2Session direct', value: r0(direct.rps) } },
      { scenario: '6 http login base', metric: 'CPU per login', value: r0(login.cpuUs), unit: 'µs', baseline: { label: 'fake WeChat code2Session direct', value: r0(direct.cpuUs) } },
      { scenario: '6 http base', metric: 'failed requests', value: health.errors + login.errors, unit: 'req', target: '0', pass: health.errors + login.errors === 0 },
    );
  }
  return [
    { scenario: '6 http health', metric: 'requests/s', value: r0(health.rps), unit: 'req/s', baseline: bareBase, target: `≥ ${TARGET_HEALTH.toLocaleString('en')}`, pass: health.errors === 0 && health.rps >= TARGET_HEALTH },
    { scenario: '6 http health', metric: 'latency p99 (worst round)', value: health.p99, unit: 'ms', baseline: { label: 'bare node:http health', value: bare.p99 } },
    { scenario: '6 http health', metric: 'gateway CPU', value: r0(health.cpuPct), unit: '%', baseline: { label: 'bare node:http health', value: r0(bare.cpuPct) } },
    { scenario: '6 http health', metric: 'CPU per request', value: r0(health.cpuUs), unit: 'µs', baseline: { label: 'bare node:http health', value: r0(bare.cpuUs) } },
    { scenario: '6 http health', metric: 'failed requests', value: health.errors, unit: 'req', target: '0', pass: health.errors === 0 },
    { scenario: '6 http login', metric: 'requests/s', value: r0(login.rps), unit: 'req/s', baseline: { label: 'fake WeChat code2Session direct', value: r0(direct.rps) } },
    { scenario: '6 http login', metric: 'latency p99 (worst round)', value: login.p99, unit: 'ms', baseline: { label: 'fake WeChat code2Session direct', value: direct.p99 } },
    { scenario: '6 http login', metric: 'gateway CPU', value: r0(login.cpuPct), unit: '%' },
    { scenario: '6 http login', metric: 'CPU per login', value: r0(login.cpuUs), unit: 'µs', baseline: { label: 'fake WeChat code2Session direct', value: r0(direct.cpuUs) } },
    { scenario: '6 http login', metric: 'failed requests', value: login.errors, unit: 'req', target: '0', pass: login.errors === 0 },
    ...base,
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const num = (name: string) => (arg(name) === undefined ? undefined : Number(arg(name)));
  const profDir = arg('prof-dir');
  const rows = await httpBench({
    connections: num('connections'),
    rounds: num('rounds'),
    seconds: num('seconds'),
    only: arg('only')?.split(','),
    baseCommand: arg('base') ? [process.execPath, [arg('base')!]] : undefined,
    gatewayNodeArgs: profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : undefined,
  });
  console.table(rows.map(({ baseline, ...r }) => ({ ...r, baseline: baseline ? `${baseline.value} (${baseline.label})` : '' })));
  if (rows.some((r) => r.pass === false)) process.exitCode = 1;
}
