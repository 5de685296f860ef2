import type { RedisClient } from '../../store/redis/create-redis-client.js';
import type { EntryFields } from './remote-answer-run.js';

interface Tailed {
  lastId: string;
  /** true = the stream ended: stop tailing it */
  onEntry(fields: EntryFields): boolean;
}

/**
 * Follows many Redis Streams on one dedicated connection: one `XREAD BLOCK` over all of them.
 * A stream added while the read blocks wakes it (`CLIENT UNBLOCK` from the command
 * connection), so its live tail starts at once. `housekeeping` runs about once a second
 * (leases, heartbeats). Errors (Redis down) are reported and retried, never thrown.
 */
export class StreamTail {
  private readonly streams = new Map<string, Tailed>();
  private blockingId: number | undefined;
  private wake: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private closed = false;
  private lastChores = 0;

  constructor(
    private readonly blocking: RedisClient,
    private readonly command: RedisClient,
    private readonly housekeeping: () => Promise<void>,
    private readonly onError: (error: Error) => void,
    private readonly blockMs = 1_000,
  ) {
    // the connection id changes with every reconnect
    blocking.on('ready', () => void this.refreshId());
  }

  get size(): number {
    return this.streams.size;
  }

  /** Tails `key` after `lastId` (the last entry already read, or '0'). */
  add(key: string, lastId: string, onEntry: (fields: EntryFields) => boolean): void {
    this.streams.set(key, { lastId, onEntry });
    this.running ??= this.loop();
    this.wake?.();
    if (this.blockingId !== undefined) void this.command.client('UNBLOCK', this.blockingId).catch(() => undefined);
  }

  remove(key: string): void {
    this.streams.delete(key);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    this.blocking.disconnect();
    await this.running;
  }

  private async refreshId(): Promise<void> {
    try {
      this.blockingId = Number(await this.blocking.client('ID'));
    } catch {
      this.blockingId = undefined;
    }
  }

  private async loop(): Promise<void> {
    while (!this.closed) {
      if (this.streams.size === 0) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      try {
        await this.readOnce();
        if (Date.now() - this.lastChores >= this.blockMs) {
          this.lastChores = Date.now();
          await this.housekeeping();
        }
      } catch (error) {
        if (this.closed) break;
        this.onError(error as Error);
        await new Promise((resolve) => setTimeout(resolve, 500).unref());
      }
    }
  }

  private async readOnce(): Promise<void> {
    const keys = [...this.streams.keys()];
    const ids = keys.map((key) => this.streams.get(key)!.lastId);
    const reply = (await this.blocking.xread('COUNT', 1000, 'BLOCK', this.blockMs, 'STREAMS', ...keys, ...ids)) as
      | Array<[string, Array<[string, EntryFields]>]>
      | null;
    for (const [key, entries] of reply ?? []) {
      const tailed = this.streams.get(key);
      if (!tailed) continue;
      for (const [id, fields] of entries) {
        tailed.lastId = id;
        if (tailed.onEntry(fields)) {
          this.streams.delete(key);
          break;
        }
      }
    }
  }
}
