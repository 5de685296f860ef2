/**
 * Reading a server process's memory from outside, shared by the idle benches: its RSS from
 * /proc, settled, after a full GC it runs on SIGUSR2 (a preload; the server is unchanged).
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Preloaded into the server with `--expose-gc --import <this>`: on SIGUSR2 a full GC (so a
 * figure is live memory, not garbage), then `process.memoryUsage()` written to `file`, so the
 * bench can tell the JS heap from native memory.
 */
export function gcOnSignal(file: string): string {
  const source =
    "import { writeFileSync } from 'node:fs';" +
    `process.on('SIGUSR2', () => { globalThis.gc(); writeFileSync(${JSON.stringify(file)}, JSON.stringify(process.memoryUsage())); });`;
  return `data:text/javascript,${encodeURIComponent(source)}`;
}

/** Resident set size in MB: /proc on Linux, `ps` elsewhere. */
export function rssMb(pid: number): number {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    if (kb) return Number(kb) / 1024;
  } catch {
    // not Linux
  }
  return Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)]).toString().trim()) / 1024;
}

/** Samples every 250 ms until three in a row are within `withinMb` of each other. */
export async function settledRss(pid: number, withinMb = 1): Promise<number> {
  const samples = [rssMb(pid)];
  for (let i = 0; i < 120; i++) {
    await sleep(250);
    samples.push(rssMb(pid));
    const last = samples.slice(-3);
    if (last.length === 3 && Math.max(...last) - Math.min(...last) < withinMb) break;
  }
  return samples.at(-1)!;
}

export const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/**
 * Full GC in the server (it was started with `gcOnSignal(memoryFile)`), then its settled RSS and
 * the JS heap it reported after that GC, in MB; heap NaN when the server could not write the
 * file (out of file descriptors).
 */
export async function measureAfterGc(pid: number, memoryFile: string, signal: (signal: NodeJS.Signals) => void): Promise<{ rss: number; heap: number }> {
  await settledRss(pid);
  rmSync(memoryFile, { force: true });
  signal('SIGUSR2');
  // the file is written after the GC: on a busy machine that can take longer than the RSS takes to look settled
  for (let waited = 0; !existsSync(memoryFile) && waited < 15_000; waited += 100) await sleep(100);
  const rss = await settledRss(pid, 0.5);
  const heap = existsSync(memoryFile) ? (JSON.parse(readFileSync(memoryFile, 'utf8')) as NodeJS.MemoryUsage).heapUsed / 2 ** 20 : NaN;
  return { rss, heap };
}
