import cluster from 'node:cluster';
import { usableCpus } from './usable-cpus.js';

/**
 * GC_MODE: whether V8 collects garbage with helper threads (its default) or on the main thread
 * only (`--single-threaded-gc`). On one CPU the helper threads only take turns with the main
 * thread: a scavenge's copying waits for a helper's time slice, concurrent marking gets no core
 * and catches up in long steps. Measured pinned to one core (docs/performance.md, rounds 16–17):
 * the intake's ack p99 at 2,500 / 5,000 chats/s drops to about a third / a half, CPU per
 * streamed chat ×0.93–0.96 (peak RSS +25 MB, +8–14% CPU per intake at saturation); with two
 * cores it makes no difference. So `auto` (the default)
 * takes it when this process can keep only one CPU busy (affinity, or a container's CPU quota:
 * usable-cpus.ts).
 *
 * A V8 flag cannot be turned on once V8 runs (v8.setFlagsFromString crashes the next
 * mark-compact), nor set in NODE_OPTIONS: the entry point restarts Node with it, in place
 * (`process.execve`: same pid, so npm, systemd and Docker's PID 1 see no new process).
 */
export const GC_MODES = ['auto', 'single', 'parallel'] as const;

export const SINGLE_THREADED_GC = '--single-threaded-gc';

/**
 * Whether these Node arguments turn single-threaded GC on (true) or off (false), either
 * spelling (`_` or `-`); undefined when they say nothing. The operator's flag wins over GC_MODE.
 */
export function flagGiven(execArgv: readonly string[]): boolean | undefined {
  for (const arg of execArgv) {
    const flag = arg.replaceAll('_', '-');
    if (flag === SINGLE_THREADED_GC) return true;
    if (flag === '--no-single-threaded-gc') return false;
  }
  return undefined;
}

/**
 * A debugger is attached or waited for (`--inspect`, `--inspect-brk`, `--inspect-wait`): a
 * restart would drop its session (and stop twice at the first line), so the process goes on as is.
 */
function debugging(execArgv: readonly string[]): boolean {
  return execArgv.some((arg) => arg.startsWith('--inspect'));
}

/** Whether this process should run single-threaded GC; an unknown mode is left to loadConfig to refuse. */
function wantsSingleThreadedGc(mode: string | undefined, cpus: number): boolean {
  if (mode === 'single') return true;
  if (mode === undefined || mode === '' || mode === 'auto') return cpus <= 1;
  return false;
}

/** The Node arguments to restart with (after the executable), or undefined: go on as is. */
export function gcRestartArgs(mode: string | undefined, cpus: number, execArgv: readonly string[], argv: readonly string[]): string[] | undefined {
  if (flagGiven(execArgv) !== undefined || debugging(execArgv) || !wantsSingleThreadedGc(mode, cpus)) return undefined;
  return [...execArgv, SINGLE_THREADED_GC, ...argv.slice(1)];
}

/**
 * Restarts this process with `--single-threaded-gc` when GC_MODE asks for it, before anything
 * else is loaded. Returns when no restart is needed, or it is not possible (Node < 22.15 has no
 * `process.execve`; `gcInUse` lets the server say so). Workers of WORKERS=n inherit the
 * primary's flags, so they never restart.
 */
export function restartForGc(): void {
  if (cluster.isWorker) return;
  const args = gcRestartArgs(process.env.GC_MODE, usableCpus(), process.execArgv, process.argv);
  const execve = execveOf();
  if (!args || execve === undefined) return;
  try {
    execve.call(process, process.execPath, [process.execPath, ...args], process.env);
  } catch {
    // execve(2) failed (the process goes on unchanged): the start-up warning says the mode is missing
  }
}

/** Node 22.15+; @types/node for Node 20 does not know it yet. */
function execveOf(): ((file: string, args: string[], env: NodeJS.ProcessEnv) => never) | undefined {
  const { execve } = process as NodeJS.Process & { execve?: unknown };
  return typeof execve === 'function' ? (execve as (file: string, args: string[], env: NodeJS.ProcessEnv) => never) : undefined;
}

/** Why a wanted restart did not happen, for the start-up warning. */
export function whyNotRestarted(): string {
  return execveOf() ? 'process.execve failed (a permission model that forbids it?)' : `Node ${process.version} has no process.execve (22.15+)`;
}

/** The GC this process runs, and whether GC_MODE asked for single-threaded GC it did not get. */
export function gcInUse(mode: string | undefined, cpus: number, execArgv: readonly string[]): { gc: 'single-threaded' | 'parallel'; missing: boolean } {
  const given = flagGiven(execArgv);
  if (given !== undefined) return { gc: given ? 'single-threaded' : 'parallel', missing: false };
  return { gc: 'parallel', missing: !debugging(execArgv) && wantsSingleThreadedGc(mode, cpus) };
}
