/**
 * What a server process costs, read from outside through /proc (Linux): CPU time (user +
 * system) and peak resident memory. Works for any process: the gateway, the seed peer, the raw
 * ws push server.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { flagGiven } from '../../src/runtime/gc-mode.js';

export const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime + stime of `pid` so far, in ms (resolution: one clock tick, 10 ms). */
export function cpuMs(pid: number): number {
  // fields after the ") " that ends the command name: state is [0], utime [11], stime [12]
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

/** A /proc/<pid>/status field in KB, e.g. VmHWM (peak RSS) or VmRSS. */
export function statusKb(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) : NaN;
}

/**
 * Which garbage collector a Node process runs, from its command line as the kernel has it now
 * (after GC_MODE=auto restarted it in place): for the run's notes.
 */
export function gcOf(pid: number): 'single-threaded' | 'parallel' {
  return flagGiven(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')) ? 'single-threaded' : 'parallel';
}

/** CPU spent by `pid` while `work` ran, in ms, with what `work` returned. */
export async function cpuDuring<T>(pid: number, work: () => Promise<T>): Promise<{ cpu: number; result: T }> {
  const before = cpuMs(pid);
  const result = await work();
  return { cpu: cpuMs(pid) - before, result };
}
