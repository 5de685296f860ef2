/**
 * The runner's handle on the load-generator process: spawn it, send it requests, await answers.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { ChatSample, LoadCommand, LoadReply, LoadRequest } from './load-protocol.js';

export class LoadGenerator {
  private nextId = 1;
  private readonly pending = new Map<number, (reply: LoadReply) => void>();

  private constructor(readonly child: ChildProcess) {
    child.on('message', (reply: LoadReply) => {
      this.pending.get(reply.id)?.(reply);
      this.pending.delete(reply.id);
    });
    child.on('exit', (code) => {
      for (const resolve of this.pending.values()) resolve({ id: 0, ok: false, error: `load generator exited (${code})` });
      this.pending.clear();
    });
  }

  static async start(): Promise<LoadGenerator> {
    const entry = fileURLToPath(new URL('./load-process.ts', import.meta.url));
    // IPC answers can be a few MB (every sample of 3,000 streams): the default JSON serialization is fine.
    const child = fork(entry, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    await once(child, 'message'); // ready
    return new LoadGenerator(child);
  }

  async request(request: LoadRequest): Promise<Extract<LoadReply, { ok: true }>> {
    const id = this.nextId++;
    const reply = await new Promise<LoadReply>((resolve) => {
      this.pending.set(id, resolve);
      this.child.send({ ...request, id } satisfies LoadCommand);
    });
    if (!reply.ok) throw new Error(`load generator, ${request.cmd}: ${reply.error}`);
    return reply;
  }

  async samples(request: LoadRequest): Promise<ChatSample[]> {
    return (await this.request(request)).samples ?? [];
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    this.child.disconnect();
    await once(this.child, 'exit');
  }
}
