import { extname } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { startWorker, workerEntry } from '../../worker-thread.js';
import { KbError } from '../kb-error.js';
import type { ChunkOptions } from './chunk-text.js';
import { prepareDocument, type PreparedDocument } from './prepare-document.js';
import type { ParseReply, ParseRequest } from './parse-request.js';

export interface ParsePoolOptions {
  /** Documents parsed at once, each in its own worker thread. Default 1. */
  workers?: number;
  /** A document still parsing after this is abandoned (its worker terminated), milliseconds. Default 120 000. */
  timeoutMs?: number;
  /** An idle worker exits after this, giving back pdf.js and its heap, milliseconds. Default 30 000. */
  idleMs?: number;
  /** The worker's entry module. Default: parse-worker next to this file (tests substitute a faulty one). */
  workerEntry?: URL;
}

export interface PrepareRequest {
  name: string;
  source: string;
  data: Buffer;
  hash: string;
  chunking: ChunkOptions;
}

/** Turns file bytes into document and chunk records without blocking the event loop. */
export interface ParsePool {
  /** Rejects with a KbError (Chinese, naming the file); never leaves a worker behind. */
  prepare(request: PrepareRequest): Promise<PreparedDocument>;
  /** Terminates the workers; queued documents fail. Idempotent. */
  close(): Promise<void>;
}

/** Formats whose parsers are heavy (pdf.js, unzip + XML, a regex pass over a page): always in a worker. */
const HEAVY_EXTENSIONS = new Set(['.pdf', '.docx', '.html', '.htm']);
/** Below this, Markdown, text and Q&A files parse in well under a millisecond: a worker round-trip costs more. */
const INLINE_MAX_BYTES = 256 * 1024;

interface Job {
  request: PrepareRequest;
  resolve(prepared: PreparedDocument): void;
  reject(error: KbError): void;
}

interface Slot {
  worker: Worker;
  job?: Job | undefined;
  deadline?: NodeJS.Timeout;
  idle?: NodeJS.Timeout;
  /** why the worker died, from its 'error' event */
  failure?: Error;
}

/**
 * A small pool of parse workers, started on the first heavy document, so a 50 MB PDF upload
 * does not stall every socket. A worker that crashes or outlives `timeoutMs` fails only its document, with parse_failed; the next document gets a new worker.
 * Workers are unref'd while idle (they never keep the process alive) and exit after `idleMs`.
 *
 * @example
 * const pool = createParsePool({ workers: 1 });
 * const { doc, chunks } = await pool.prepare({ name: '手册.pdf', source: '手册.pdf', data, hash, chunking });
 */
export function createParsePool(options: ParsePoolOptions = {}): ParsePool {
  const size = Math.max(1, options.workers ?? 1);
  const timeoutMs = options.timeoutMs ?? 120_000;
  const idleMs = options.idleMs ?? 30_000;
  const entry = options.workerEntry ?? defaultWorkerEntry;
  const slots = new Set<Slot>();
  const queue: Job[] = [];
  let closed = false;

  function spawn(): Slot {
    const slot: Slot = { worker: startWorker(entry) };
    slot.worker.on('message', (reply: ParseReply) => settle(slot, reply));
    slot.worker.on('error', (error) => (slot.failure = error));
    slot.worker.on('exit', (code) => {
      retire(slot);
      if (slot.job) slot.job.reject(crashed(slot.job.request.name, slot.failure, code));
      slot.job = undefined;
      dispatch();
    });
    slots.add(slot);
    return slot;
  }

  /** Takes the slot out of service; its worker exits (a running job is failed by the caller or on 'exit'). */
  function retire(slot: Slot): void {
    clearTimeout(slot.deadline);
    clearTimeout(slot.idle);
    if (slots.delete(slot)) void slot.worker.terminate();
  }

  function dispatch(): void {
    while (!closed && queue.length > 0) {
      const slot = [...slots].find((s) => !s.job) ?? (slots.size < size ? spawn() : undefined);
      if (!slot) return;
      run(slot, queue.shift()!);
    }
  }

  function run(slot: Slot, job: Job): void {
    clearTimeout(slot.idle);
    slot.job = job;
    slot.worker.ref(); // a parse in progress keeps the process alive (the CLI awaits it)
    slot.deadline = setTimeout(() => {
      slot.job = undefined;
      retire(slot);
      job.reject(new KbError('parse_failed', `「${job.request.name}」解析超时（超过 ${Math.round(timeoutMs / 1000)} 秒），未导入；文件可能损坏或过于复杂`));
      dispatch();
    }, timeoutMs);
    const { data, ...rest } = job.request;
    // One copy, then transferred: the caller keeps its Buffer, the worker gets the bytes without a second copy.
    const bytes = new Uint8Array(data);
    const request: ParseRequest = { ...rest, data: bytes };
    slot.worker.postMessage(request, [bytes.buffer]);
  }

  function settle(slot: Slot, reply: ParseReply): void {
    const job = slot.job;
    if (!job) return;
    slot.job = undefined;
    clearTimeout(slot.deadline);
    slot.worker.unref();
    slot.idle = setTimeout(() => retire(slot), idleMs).unref();
    if ('prepared' in reply) job.resolve(reply.prepared);
    else job.reject(new KbError(reply.error.kind, reply.error.message));
    dispatch();
  }

  return {
    async prepare(request) {
      const ext = extname(request.name).toLowerCase();
      if (!HEAVY_EXTENSIONS.has(ext) && request.data.length <= INLINE_MAX_BYTES) return prepareDocument(request);
      if (closed) throw new KbError('parse_failed', `「${request.name}」未解析：知识库已关闭`);
      return new Promise<PreparedDocument>((resolve, reject) => {
        queue.push({ request, resolve, reject });
        dispatch();
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const job of queue.splice(0)) job.reject(new KbError('parse_failed', `「${job.request.name}」未解析：知识库已关闭`));
      const exits = [...slots].map((slot) => new Promise((done) => slot.worker.once('exit', done)));
      for (const slot of [...slots]) retire(slot);
      await Promise.all(exits);
    },
  };
}

function crashed(name: string, failure: Error | undefined, code: number): KbError {
  const why = (failure as { code?: string } | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY' ? '内存不足' : `退出码 ${code}`;
  return new KbError('parse_failed', `「${name}」解析失败：解析线程异常退出（${why}），未导入`, { cause: failure });
}

/** The bundle's own entry when compiled (scripts/build.mjs); the source next to this file under tsx. */
const defaultWorkerEntry = workerEntry(import.meta.url, './parse-worker.ts', 'parse-worker');
