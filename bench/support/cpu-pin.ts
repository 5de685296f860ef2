/**
 * `--pin`: the servers being measured (the gateway, the seed peer, the raw baselines) on CPU 0,
 * everything that drives them (this runner, the load generators, the fake model, the fake
 * WeChat) on CPU 1. On a 2-core machine without it, the load generator and the fake model take
 * turns with the gateway on both cores, and a delta waits for a time slice (~3 ms) of a
 * process that is not the one measured — the same figure swings by milliseconds from run to
 * run. With it, each side has a core of its own, as a server and its clients have in
 * production. Scenario 8 (two gateways, WORKERS=2) gives its gateways both cores.
 *
 * Applied with `taskset -a -p` to processes already started: children inherit the mask, and
 * a server is pinned once it answers (its threads exist by then; later ones inherit).
 */
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { allStats, treeOf } from './process-tree.js';

export const SERVER_CPUS = '0';
export const DRIVER_CPUS = '1';
export const ALL_CPUS = '0,1';

let pinning = false;

/** Pins this process (the runner), and so every process it starts from now on, to the driver CPU. */
export function pinDrivers(): void {
  if (cpus().length < 2) throw new Error('--pin needs at least 2 CPUs');
  setAffinity(process.pid, DRIVER_CPUS);
  pinning = true;
}

/**
 * Moves a server being measured — its threads and the processes it started (WORKERS=n) — to
 * its own CPU; nothing without `--pin`.
 */
export function pinServer(pid: number | undefined, cpuList: string = SERVER_CPUS): void {
  if (!pinning || pid === undefined) return;
  for (const { pid: each } of treeOf(pid, allStats())) setAffinity(each, cpuList);
}

export const pinned = (): boolean => pinning;

/**
 * spawnServer's option to start a server already on the CPUs it will be pinned to: started under
 * the runner's mask it would see one CPU (the driver's) whatever it is given later, and the
 * gateway's GC_MODE=auto decides at start (one CPU: single-threaded GC). Nothing without `--pin`.
 */
export function startOn(cpuList: string = SERVER_CPUS): { cpus?: string } {
  return pinning ? { cpus: cpuList } : {};
}

function setAffinity(pid: number, cpuList: string): void {
  execFileSync('taskset', ['-a', '-p', '-c', cpuList, String(pid)], { stdio: 'ignore' });
}
