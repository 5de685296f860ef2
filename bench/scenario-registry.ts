/**
 * The scenarios `npm run bench` knows, in the order it runs them. Scenarios 5–7 live in modules
 * other work adds; each is loaded by file and export name, and one that is not there yet is
 * reported as "not available" instead of failing the run — wiring a new module is one line.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BenchRow } from './bench-row.js';
import type { BenchContext } from './scenarios/bench-context.js';

export interface Scenario {
  id: string;
  title: string;
  /** bench/-relative module and the export called with the options (see `ScenarioOptions`) */
  module: string;
  exportName: string;
}

/** What a scenario module's export receives: the run's context (load generator, fakes, options…). */
export type ScenarioFn = (ctx: BenchContext) => Promise<BenchRow[]>;

export const SCENARIOS: readonly Scenario[] = [
  { id: '1', title: 'added time to first delta, 1 and 200 streams', module: 'scenarios/ttfd.ts', exportName: 'ttfdBench' },
  { id: '2', title: 'added per-delta gap, 100 streams', module: 'scenarios/delta-gap.ts', exportName: 'deltaGapBench' },
  { id: '3', title: 'stall-free concurrent streams', module: 'scenarios/stall-free.ts', exportName: 'stallFreeBench' },
  { id: 'cpu', title: 'CPU per streamed chat vs the seed stack', module: 'scenarios/cpu-vs-peer.ts', exportName: 'cpuVsPeerBench' },
  { id: '4', title: 'idle capacity', module: 'scenarios/idle-capacity.ts', exportName: 'idleCapacityBench' },
  { id: '5', title: 'chat intake without a model', module: 'intake-bench.ts', exportName: 'intakeBench' },
  { id: '6', title: 'HTTP login and health', module: 'http-bench.ts', exportName: 'httpBench' },
  { id: '7', title: 'retrieval at 100k chunks', module: 'retrieval-scale.ts', exportName: 'retrievalBench' },
  { id: '8', title: 'scale-out: 1 instance vs 2 instances vs WORKERS=2', module: 'scenarios/scale-out.ts', exportName: 'scaleOutBench' },
  { id: '9', title: 'admin list and search at 100k conversations', module: 'admin-search.ts', exportName: 'adminSearchBench' },
];

/**
 * The scenario's function, or why it is not available. The file is read before it is imported:
 * a module that is still a script (bench/retrieval-scale.ts runs on import) must not run here.
 */
export async function loadScenario(scenario: Scenario): Promise<ScenarioFn | string> {
  const file = fileURLToPath(new URL(scenario.module, import.meta.url));
  if (!existsSync(file)) return `not available: bench/${scenario.module} does not exist yet`;
  const exported = new RegExp(`export\\s+(async\\s+)?(function\\s*\\*?|const|let)\\s+${scenario.exportName}\\b|export\\s*\\{[^}]*\\b${scenario.exportName}\\b`);
  if (!exported.test(readFileSync(file, 'utf8'))) return `not available: bench/${scenario.module} does not export ${scenario.exportName} yet`;
  const module = (await import(file)) as Record<string, unknown>;
  const fn = module[scenario.exportName];
  return typeof fn === 'function' ? (fn as ScenarioFn) : `not available: ${scenario.exportName} is not a function`;
}
