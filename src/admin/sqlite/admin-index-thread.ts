import type { Worker } from 'node:worker_threads';
import type { CommitGate } from '../../store/sqlite/commit-gate.js';
import { startWorker, workerEntry } from '../../worker-thread.js';

/** What the index thread is started with (admin-index-worker.ts). */
export interface IndexThreadData {
  file: string;
  intervalMs?: number;
  /** the file's CommitGate.shared: 1 while the checkpoint thread holds the commits */
  held: Int32Array;
}

/** What the gateway asks of the thread. */
export type IndexThreadRequest =
  | { type: 'catch-up'; id: number; batches: number }
  | { type: 'terms'; id: number; text: string }
  | { type: 'stop' };

/** The thread's replies: a request's outcome, or a background pass that failed. */
type IndexThreadReply = { id: number; result?: boolean | string[]; error?: string } | { failed: string };

export interface IndexThreadOptions {
  intervalMs?: number;
  /** a failed background pass (the next one retries) */
  onError?: (error: unknown) => void;
  /** the thread could not start or died: the caller indexes on its own thread instead */
  onLost: (error: unknown) => void;
}

export interface IndexThread {
  /**
   * Indexes up to `batches` batches on the thread; true when it caught up. Undefined when the
   * thread is gone (or going): the caller catches up itself.
   */
  catchUp(batches: number): Promise<boolean | undefined>;
  /** An operator's query cut by the thread's jieba (this thread then never loads its 40 MB); undefined when the thread is gone. */
  terms(text: string): Promise<string[] | undefined>;
  /** Lets the batch in progress finish, then the thread closes its connection and exits. Idempotent. */
  stop(): Promise<void>;
}

const entry = workerEntry(import.meta.url, './admin-index-worker.ts', 'admin-index-worker');

/**
 * The admin read model's background tail on a thread of its own. A batch cuts its messages with
 * jieba and rewrites the FTS rows of the conversations that grew: milliseconds to tens of them,
 * which on the event loop every chat of the gateway would wait for. On its own thread only the
 * file's write lock is shared (a batch is one short IMMEDIATE transaction, as each group commit).
 * Costs a V8 isolate (~12 MB), only when ADMIN_TOKEN is set; the jieba dictionary lives here
 * instead of on the main thread (a query's words are cut here too).
 */
export function startIndexThread(file: string, gate: CommitGate, options: IndexThreadOptions): IndexThread {
  const data: IndexThreadData = { file, held: gate.shared, ...(options.intervalMs !== undefined && { intervalMs: options.intervalMs }) };
  let worker: Worker;
  try {
    worker = startWorker(entry, { workerData: data });
  } catch (error) {
    options.onLost(error);
    return { catchUp: async () => undefined, terms: async () => undefined, stop: async () => {} };
  }
  // never what keeps the process up: a batch is one transaction, all or nothing
  worker.unref();
  let stopping = false;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const asked = new Map<number, { resolve: (result: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 0;
  worker.on('message', (message: IndexThreadReply) => {
    if ('failed' in message) return options.onError?.(new Error(message.failed));
    const waiting = asked.get(message.id);
    asked.delete(message.id);
    if (message.error !== undefined) waiting?.reject(new Error(message.error));
    else waiting?.resolve(message.result);
  });
  let lost = false;
  const lose = (error: unknown) => {
    // a query waiting on a thread that is gone catches up itself
    for (const waiting of asked.values()) waiting.resolve(undefined);
    asked.clear();
    if (stopping || lost) return;
    lost = true;
    options.onLost(error);
  };
  worker.once('error', lose);
  worker.once('exit', (code) => lose(new Error(`the admin index thread exited (code ${code})`)));
  /** One request and its reply; undefined when the thread is gone (or going). */
  const ask = <T>(request: (id: number) => IndexThreadRequest): Promise<T | undefined> => {
    if (stopping || lost) return Promise.resolve(undefined);
    const id = ++nextId;
    return new Promise((resolve, reject) => {
      asked.set(id, { resolve: resolve as (result: unknown) => void, reject });
      worker.postMessage(request(id));
    });
  };
  let stopped: Promise<void> | undefined;
  return {
    catchUp: (batches) => ask<boolean>((id) => ({ type: 'catch-up', id, batches })),
    terms: (text) => ask<string[]>((id) => ({ type: 'terms', id, text })),
    stop() {
      stopping = true;
      stopped ??= (async () => {
        worker.ref(); // held until its batch in progress is done
        worker.postMessage({ type: 'stop' } satisfies IndexThreadRequest);
        await exited;
      })();
      return stopped;
    },
  };
}
