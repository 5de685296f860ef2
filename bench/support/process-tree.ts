/**
 * CPU of a process and everything it started (WORKERS=n: the primary and its cluster workers),
 * read from /proc (Linux). Each /proc/<pid>/stat gives the parent and utime + stime; the tree is
 * the root and every process whose chain of parents leads to it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { TICKS_PER_SECOND } from './proc-stats.js';

export interface StatLine {
  pid: number;
  ppid: number;
  /** utime + stime, clock ticks */
  ticks: number;
}

/** One /proc/<pid>/stat line. The command name may hold spaces and ")": fields start after the last ")". */
export function parseStat(text: string): StatLine {
  const fields = text.slice(text.lastIndexOf(')') + 2).trim().split(' ');
  // after the name: state [0], ppid [1], … utime [11], stime [12]
  return { pid: Number.parseInt(text, 10), ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
}

/** `root` and its descendants among `lines`. */
export function treeOf(root: number, lines: readonly StatLine[]): StatLine[] {
  const inTree = new Set([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const line of lines) {
      if (!inTree.has(line.pid) && inTree.has(line.ppid)) {
        inTree.add(line.pid);
        grew = true;
      }
    }
  }
  return lines.filter((line) => inTree.has(line.pid));
}

export function allStats(): StatLine[] {
  const lines: StatLine[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      lines.push(parseStat(readFileSync(`/proc/${name}/stat`, 'utf8')));
    } catch {
      // the process ended between the listing and the read
    }
  }
  return lines;
}

/** CPU ms so far of each process in the trees of `roots`, by pid. */
export function treeCpuMs(roots: readonly number[]): Map<number, number> {
  const stats = allStats();
  return new Map(roots.flatMap((root) => treeOf(root, stats)).map((line) => [line.pid, (line.ticks * 1000) / TICKS_PER_SECOND]));
}

/** CPU ms each process spent between two `treeCpuMs` readings; one that appeared in between counts from 0. */
export function cpuByProcess(before: ReadonlyMap<number, number>, after: ReadonlyMap<number, number>): Map<number, number> {
  return new Map([...after].map(([pid, ms]) => [pid, ms - (before.get(pid) ?? 0)]));
}

/** CPU ms the whole tree spent between two readings. */
export const cpuBetween = (before: ReadonlyMap<number, number>, after: ReadonlyMap<number, number>): number =>
  [...cpuByProcess(before, after).values()].reduce((a, b) => a + b, 0);
