/**
 * `npm run bench` flags. Defaults fit ~6 minutes on a 2-core machine; flags make longer runs.
 *
 *   --only=1,2,cpu      scenarios to run (numbers as in the performance issue; cpu = CPU per chat vs the seed peer;
 *                       8 = 1 instance vs 2 instances vs WORKERS=2, needs Redis; 9 = admin search at 100k conversations)
 *   --idle              scenario 4 at 10k and 20k idle sockets (default: 10k only)
 *   --rounds=N          measured rounds per leg after the warm-up (default 4; 25 chats a round for single-stream TTFD;
 *                       the cpu scenario measures at least 8 unless --quick)
 *   --levels=a,b,…      scenario 3's ramp of concurrent streams (default 50,100,250,500,1000,2000,3000)
 *   --coalesce=MS       the gateway's STREAM_COALESCE_MS (default 0: one frame per model delta, like the peer)
 *   --cpu-chats=N       chats per connection in each round of the cpu scenario (default 4, the load):
 *                       longer rounds for a before/after with --base, where 4 leaves ±10% of noise
 *   --node=PATH         run the gateway on another Node (e.g. /root/.cache/node24/package/bin/node); the
 *                       load generator and baselines stay on this one (bench/support/node-runtime.ts)
 *   --sqlite-addon=F    better-sqlite3 built for that Node's ABI, when it is not found beside it
 *   --node-flags="…"    V8/Node flags for the gateway only, e.g. "--max-semi-space-size=4": measure a
 *                       tuning (NODE_OPTIONS in production) against the default in the same kind of run
 *   --quick             a smoke run: 2 rounds, ramp 50,250, 1,000 idle sockets
 *   --pin               servers on CPU 0, runner, load generators and fakes on CPU 1 (bench/support/cpu-pin.ts)
 *   --base=DIR          another build's dist/ (e.g. main's, built and copied aside): the delta gap (2), the cpu scenario, intake (5)
 *                       and HTTP (6) run it as more targets in the same interleaved rounds — a before/after on one machine state,
 *                       where two runs apart differ by more than most changes (on --node's Node too)
 *   --base-node=PATH    the Node the --base build runs on (default: --node's): with --base=dist/ the same
 *                       build on two Nodes in the same rounds, e.g. Node 26 against Node 24
 *   --base-node-flags="…"  the --base build's flags instead of --node-flags': with --base=dist/ a V8 flag
 *                       against none, on the same build in the same rounds
 */
export interface BenchOptions {
  /** undefined = every scenario */
  only?: ReadonlySet<string> | undefined;
  idleSockets: number[];
  rounds: number;
  levels: number[];
  coalesceMs: number;
  /** the cpu scenario's chats per connection per round */
  cpuChats: number;
  quick: boolean;
  pin: boolean;
  node?: string | undefined;
  sqliteAddon?: string | undefined;
  /** flags put before the gateway's entry point (split on spaces) */
  nodeFlags: string[];
  /** another build's dist/ directory, measured beside this one (cpu scenario) */
  base?: string | undefined;
  /** the Node the base build runs on (default: `node`'s) */
  baseNode?: string | undefined;
  /** the base build's flags (default: `nodeFlags`) */
  baseNodeFlags?: string[] | undefined;
}

export const ALL_SCENARIOS = ['1', '2', '3', 'cpu', '4', '5', '6', '7', '8', '9'] as const;

export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  const value = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const has = (name: string) => argv.includes(`--${name}`);
  const list = (text: string | undefined) => text?.split(',').map((s) => s.trim()).filter(Boolean);
  const numbers = (name: string, fallback: number[]) => {
    const parsed = list(value(name))?.map(Number) ?? fallback;
    if (parsed.some((n) => !Number.isFinite(n) || n <= 0)) throw new Error(`--${name} takes positive numbers separated by commas`);
    return parsed;
  };
  const quick = has('quick');
  const only = list(value('only'));
  const unknown = only?.filter((s) => !(ALL_SCENARIOS as readonly string[]).includes(s)) ?? [];
  if (unknown.length > 0) throw new Error(`--only: unknown scenario ${unknown.join(', ')} (known: ${ALL_SCENARIOS.join(', ')})`);
  if (value('base-node') && !value('base')) throw new Error('--base-node needs --base (the build to run on that Node)');
  if (value('base-node-flags') !== undefined && !value('base')) throw new Error('--base-node-flags needs --base (the build to run with them)');
  const flags = (text: string | undefined) => text?.split(/\s+/).filter(Boolean);
  const coalesce = Number(value('coalesce') ?? 0);
  if (!Number.isInteger(coalesce) || coalesce < 0) throw new Error('--coalesce takes a whole number of ms');
  return {
    only: only && new Set(only),
    idleSockets: has('idle') ? [10_000, 20_000] : quick ? [1_000] : [10_000],
    rounds: numbers('rounds', [quick ? 2 : 4])[0]!,
    levels: numbers('levels', quick ? [50, 250] : [50, 100, 250, 500, 1000, 2000, 3000]),
    coalesceMs: coalesce,
    cpuChats: numbers('cpu-chats', [4])[0]!,
    quick,
    pin: has('pin'),
    node: value('node'),
    sqliteAddon: value('sqlite-addon'),
    nodeFlags: flags(value('node-flags')) ?? [],
    base: value('base'),
    baseNode: value('base-node'),
    baseNodeFlags: flags(value('base-node-flags')),
  };
}

export const selected = (options: BenchOptions, scenario: string): boolean => options.only === undefined || options.only.has(scenario);
