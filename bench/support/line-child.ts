/**
 * A tsx child the intake and HTTP benches talk to line by line on stdout (its address first,
 * then one result line per command). Helpers that only print their address use child-process.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

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
