import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';

export interface TestRedis {
  port: number;
  /** SIGKILL (a crash) or SIGTERM (a clean stop); resolves once the process is gone */
  stop(signal?: 'SIGKILL' | 'SIGTERM'): Promise<void>;
  /** SIGSTOP: the server hangs, its connections stay open and nothing is answered (resume: SIGCONT) */
  pause(): void;
  resume(): void;
  /** removes the data directory (durable servers only) */
  cleanup(): void;
}

/**
 * A private redis-server on a loopback port, so a test can take it away and bring it back.
 * `durable` keeps an append-only file fsynced on every write in a temp directory, so a
 * server started again on the same `dir` has everything a client was told was written.
 */
export async function startRedis(port: number, options: { durable?: boolean; dir?: string } = {}): Promise<TestRedis & { dir?: string }> {
  const dir = options.dir ?? (options.durable ? mkdtempSync(join(tmpdir(), 'wag-redis-')) : undefined);
  const persistence = dir ? ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir] : ['--appendonly', 'no'];
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => undefined); // refused while the server starts: expected
  for (let i = 0; ; i++) {
    try {
      await probe.connect();
      await probe.ping();
      break;
    } catch {
      if (i > 50 || child.exitCode !== null) throw new Error('redis-server did not start');
      await sleep(100);
    }
  }
  probe.disconnect();
  return {
    port,
    dir,
    stop: (signal = 'SIGKILL') => {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
    pause: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
    cleanup: () => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
