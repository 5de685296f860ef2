/**
 * Helper processes of the benchmark (fake model, raw ws push server, seed peer) that print
 * their address on the first line of stdout. Stopped with SIGTERM, by their own pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

export interface HelperProcess {
  /** the first line the process printed (its URL) */
  address: string;
  child: ChildProcess;
  pid: number;
  stop(): Promise<void>;
}

export async function startHelper(command: string, args: string[], env?: NodeJS.ProcessEnv, pattern = /\S/): Promise<HelperProcess> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
  let errors = '';
  child.stderr!.on('data', (d) => (errors = (errors + d).slice(-4_000)));
  const lines = createInterface({ input: child.stdout! });
  const address = await new Promise<string>((resolve, reject) => {
    lines.on('line', (line) => pattern.test(line) && resolve(line.trim()));
    child.once('exit', (code) => reject(new Error(`${command} ${args.join(' ')} exited (${code}) before it was ready:\n${errors}`)));
  });
  child.removeAllListeners('exit');
  return {
    address,
    child,
    pid: child.pid!,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/** A bench/*.ts entry point run by this Node with tsx. */
export const tsEntry = (file: string, args: string[] = []): [string, string[]] => [
  process.execPath,
  ['--import', 'tsx', new URL(`../${file}`, import.meta.url).pathname, ...args],
];

/** The fake model process: `deltas` deltas `pace` ms apart, the first after `ttft` ms. */
export async function startFakeModel(model: { deltas: number; pace: number; ttft: number }): Promise<HelperProcess> {
  const [node, args] = tsEntry('fake-llm-process.ts', [`--deltas=${model.deltas}`, `--pace=${model.pace}`, `--ttft=${model.ttft}`]);
  return startHelper(node, args);
}
