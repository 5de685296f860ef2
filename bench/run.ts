/**
 * `npm run bench`: the gateway's performance figures, each next to an in-run baseline.
 *
 * Starts the fake WeChat (here) and a load-generator process, then runs the selected scenarios
 * (bench/scenario-registry.ts); each starts what it needs — the compiled gateway (`dist/main.js`,
 * built by the npm script), fake-model processes, the raw ws push server, the seed peer. Prints
 * one table and writes it with the run's details to bench/results/<timestamp>.json. Exits
 * non-zero when any streamed answer lost, duplicated or reordered a delta, or a scenario crashed;
 * a missed target is a figure, not a failure. Flags: bench/bench-options.ts.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { startFakeWechatServer } from '../test/support/fake-wechat-server.js';
import { parseBenchOptions, selected } from './bench-options.js';
import type { BenchRow } from './bench-row.js';
import { LoadGenerator } from './load/load-generator.js';
import { formatJson, formatTable, type BenchRun } from './report/format-table.js';
import { SCENARIOS, loadScenario } from './scenario-registry.js';
import { pinDrivers } from './support/cpu-pin.js';
import { prepareNodeRuntime, withNodeFlags } from './support/node-runtime.js';
import { serverCommand } from '../test/support/spawn-server.js';
import { BenchContext } from './scenarios/bench-context.js';

const argv = process.argv.slice(2);
const options = parseBenchOptions(argv);
const startedAt = new Date();
if (options.pin) pinDrivers();
const runtime = options.node ? prepareNodeRuntime(options.node, options.sqliteAddon) : undefined;
const gatewayCommand = withNodeFlags(runtime?.command ?? serverCommand(), options.nodeFlags);
const gatewayNode = runtime?.version ?? process.version;
if (options.base && !existsSync(join(options.base, 'main.js'))) throw new Error(`--base=${options.base}: no main.js there (give another build's dist/ directory)`);
// the other build runs on the same Node (unless --base-node), with the same flags (unless --base-node-flags)
// (--sqlite-addon is built for --node's ABI: on --base-node the addon is looked up beside that Node)
const base = options.base
  ? prepareNodeRuntime(options.baseNode ?? options.node ?? process.execPath, options.baseNode ? undefined : options.sqliteAddon, resolve(options.base))
  : undefined;
const baseCommand = base && withNodeFlags(base.command, options.baseNodeFlags ?? options.nodeFlags);
console.log(
  `npm run bench — gateway on node ${gatewayNode} (load generator and baselines on ${process.version}), ` +
    `${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`,
);
console.log('(measured on a shared machine: compare each figure with its baseline from the same run)');
if (options.nodeFlags.length > 0) console.log(`gateway flags: ${options.nodeFlags.join(' ')}`);
if (base) console.log(`base build: ${resolve(options.base!)} on node ${base.version} (2, cpu, 5 and 6: more targets in the same rounds)`);
if (options.baseNodeFlags) console.log(`base build flags: ${options.baseNodeFlags.join(' ') || '(none)'}`);
console.log(options.pin ? 'pinned: servers on CPU 0; runner, load generators and fakes on CPU 1\n' : '');

const wechat = await startFakeWechatServer();
const load = await LoadGenerator.start();
const ctx = new BenchContext(options, load, wechat, gatewayCommand, baseCommand);
const rows: BenchRow[] = [];

let stopping: Promise<void> | undefined;
const stopAll = () =>
  (stopping ??= (async () => {
    await ctx.stop();
    await load.stop();
    await wechat.close();
    runtime?.cleanup();
    base?.cleanup();
  })());
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stopAll().then(() => process.exit(130)));

try {
  for (const scenario of SCENARIOS.filter((s) => selected(options, s.id))) {
    const run = await loadScenario(scenario);
    if (typeof run === 'string') {
      ctx.notes.push(`${scenario.id} ${scenario.title}: ${run}`);
      console.log(`▷ ${scenario.id} ${scenario.title}: ${run}`);
      continue;
    }
    console.log(`▶ ${scenario.id} ${scenario.title}`);
    const started = performance.now();
    try {
      const produced = await run(ctx);
      rows.push(...produced);
    } catch (error) {
      ctx.failures.push(`${scenario.id} ${scenario.title} crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      console.log(`  crashed: ${String(error)}`);
    }
    console.log(`  (${((performance.now() - started) / 1000).toFixed(0)} s)`);
  }
  rows.push(...(await ctx.peakRssRows()));
} finally {
  await stopAll();
}

const result: BenchRun = {
  startedAt: startedAt.toISOString(),
  finishedAt: new Date().toISOString(),
  node: gatewayNode,
  runnerNode: process.version,
  host: { cpus: cpus().length, loadAverage: loadavg() },
  argv,
  rows,
  notes: ctx.notes,
  failures: ctx.failures,
};
const dir = fileURLToPath(new URL('results/', import.meta.url));
mkdirSync(dir, { recursive: true });
const file = `${dir}${result.startedAt.replace(/[:.]/g, '-')}.json`;
writeFileSync(file, formatJson(result));

console.log(`\n${formatTable(rows)}\n`);
for (const note of ctx.notes) console.log(`note: ${note}`);
console.log(`\nJSON: ${file}`);
if (ctx.failures.length > 0) {
  console.error(`\nFAILED:\n${ctx.failures.map((f) => `  ${f}`).join('\n')}`);
  process.exitCode = 1;
}
