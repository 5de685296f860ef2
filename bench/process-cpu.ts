/**
 * What the benches need to drive helper processes: a tsx child whose first stdout line is
 * its address, and a process's CPU time read from outside (all its threads: GC, libuv pool).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

/** utime + stime of `pid` in ms (Linux /proc, 100 Hz ticks). */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

export interface LineChild {
  child: ChildProcess;
  /** the next line the child prints on stdout */
  nextLine(): Promise<string>;
  stop(): Promise<void>;
}

/** Runs `node --import tsx <script> …args`; stdout is read line by line, stderr passes through. */
export function spawnTsx(script: string, args: string[] = [], env: Record<string, string> = {}): LineChild {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  const lines: string[] = [];
  const waiters: Array<(line: string) => void> = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const waiter = waiters.shift();
    if (waiter) waiter(line);
    else lines.push(line);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    nextLine: () =>
      new Promise<string>((resolve, reject) => {
        const line = lines.shift();
        if (line !== undefined) return resolve(line);
        waiters.push(resolve);
        void exited.then(() => reject(new Error(`${script} exited before answering`)));
      }),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
