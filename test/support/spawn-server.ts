import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * What `npm start` runs: the compiled server. test/run-tests.mjs builds it before running any
 * test that imports this file, so it is never older than src/.
 */
export const serverEntry = join(root, 'dist', 'main.js');

const START_FLAGS = (() => {
  const start = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
  const words = start.split(/\s+/);
  return words.slice(words.indexOf('node') + 1, words.indexOf('dist/main.js'));
})();

/**
 * The Node flags `npm start` puts before the entry point (package.json's `start` script is the
 * one place they are written; the Dockerfile and docs/deployment.md repeat them, and
 * test/deploy-files.test.ts keeps those in step), so every test and benchmark runs the server
 * as it is deployed.
 */
export function startFlags(): string[] {
  return [...START_FLAGS];
}

/** The argv that starts the compiled server as `npm start` does, or a clear error when it was never built. */
export function serverCommand(): [string, string[]] {
  const [node, [file]] = compiledCommand('main.js') as [string, [string]];
  return [node, [...startFlags(), file]];
}

/** The argv that runs a compiled entry point under dist/ (`cli/kb.js` is `npm run kb`). */
export function compiledCommand(entry: string): [string, string[]] {
  const file = join(root, 'dist', entry);
  if (!existsSync(file)) {
    throw new Error(`${file} is missing: run \`npm run build\` first (npm test and test/run-tests.mjs build it)`);
  }
  return [process.execPath, [file]];
}

export interface SpawnedServer {
  url: string;
  wsUrl: string;
  child: ChildProcess;
  output: () => string;
  /** resolves with the exit code */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/** every port this process has handed out: none is handed out twice */
const handedOut = new Set<number>();

/**
 * A port free on 127.0.0.1 right now. The kernel may give the same port to two binds in a row
 * once the first is closed (CI once gave METRICS_PORT and the server's PORT the same number),
 * so a port already handed out in this process is never returned again.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
}

/**
 * Runs the real entry point as `npm start` does (`node dist/main.js`, compiled) as a child
 * process with only the given environment on top of the embedded defaults, and waits until it answers.
 */
export async function spawnServer(
  env: Record<string, string> = {},
  /**
   * `command`: another Node and entry (the benchmark's --node runs the gateway on Node 24);
   * `cpus`: started on these CPUs only (`taskset -c`, e.g. '0'): what it sees at start
   * (the CPU count GC_MODE=auto reads: src/runtime/usable-cpus.ts) is what a process given that many has
   */
  options: { nodeArgs?: string[]; command?: [string, string[]]; cpus?: string } = {},
): Promise<SpawnedServer> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'wag-proc-'));
  let output = '';
  const [node, args] = options.command ?? serverCommand();
  const argv = [...(options.nodeArgs ?? []), ...args];
  // taskset execs the server: the child's pid is the server's
  const [file, fileArgs] = options.cpus === undefined ? [node, argv] : ['taskset', ['-c', options.cpus, node, ...argv]];
  const child = spawn(file, fileArgs, {
    cwd: root,
    // a clean environment: nothing from the developer's shell or .env leaks in
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, ENV_FILE: '/dev/null', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  let health = 'no answer';
  const started = Date.now();
  for (;;) {
    try {
      const response = await fetch(`${url}/wechat/health`, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) break;
      health = `HTTP ${response.status}: ${(await response.text()).slice(0, 300)}`;
    } catch (error) {
      health = `no answer (${(error as Error).name})`; // not listening yet
    }
    // (a signal leaves exitCode null: signalCode says it died)
    const ended = child.exitCode !== null || child.signalCode !== null;
    const waited = Date.now() - started;
    if (ended || waited > 15_000) {
      if (!ended) child.kill('SIGKILL'); // not left running behind a failed test
      const how = ended ? `exited (code ${child.exitCode}, signal ${child.signalCode})` : `still running after ${(waited / 1000).toFixed(1)} s, health: ${health}`;
      throw new Error(`server did not start: ${how}\n${output}`);
    }
    await sleep(100);
  }
  return {
    url,
    wsUrl: `ws://127.0.0.1:${port}/wechat/ws`,
    child,
    output: () => output,
    exited,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
