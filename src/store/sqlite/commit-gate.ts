import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Database } from 'better-sqlite3';

/**
 * Lets the checkpoint thread stop a connection's group commits for a moment.
 *
 * The WAL starts over only when a write begins with every frame already copied back. A gateway
 * that commits on every turn of its event loop (a busy one: a commit every millisecond) always
 * adds frames while the checkpoint thread copies, so that moment never comes: the WAL grows
 * for as long as the load lasts (2.7 GB in 30 s of the intake benchmark), every commit then
 * writes into new file blocks (the kernel zeroes each one first: a fifth of the gateway's CPU),
 * and the disk fills. When the WAL is large and a checkpoint could not finish, the checkpoint
 * thread asks for a hold (background-checkpoint.ts): the batches keep their rows for one short
 * checkpoint and the WAL's restart, then commit them. Nothing is lost or reordered; those chats'
 * acknowledgements wait a few milliseconds. A reader that must see its own pending row still
 * commits at once (it only makes that restart wait for the next hold).
 */
export class CommitGate {
  /** told how long each hold lasted (the metrics): the acknowledgements it delayed waited up to that */
  onReleased: ((seconds: number) => void) | undefined;
  /** 1 while held: the state itself, shared so that another thread writing to the file (the admin index thread) reads it */
  readonly shared = new Int32Array(new SharedArrayBuffer(4));

  #heldAt = 0;
  #timer: NodeJS.Timeout | undefined;
  readonly #waiting = new Set<() => void>();

  get held(): boolean {
    return Atomics.load(this.shared, 0) === 1;
  }

  /** Holds commits until `release()`, or `maxMs` at most: a checkpoint thread that hangs or dies must not stop the writes. */
  hold(maxMs: number): void {
    if (!this.held) this.#heldAt = performance.now();
    Atomics.store(this.shared, 0, 1);
    clearTimeout(this.#timer);
    // not unref'd: rows waiting for their commit keep the process up until it is made
    this.#timer = setTimeout(() => this.release(), maxMs);
  }

  release(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (!this.held) return;
    Atomics.store(this.shared, 0, 0);
    this.onReleased?.((performance.now() - this.#heldAt) / 1000);
    const waiting = [...this.#waiting];
    this.#waiting.clear();
    for (const commit of waiting) commit();
  }

  /** Runs `commit` now, or once the hold ends (each function once, however often it is asked). */
  whenOpen(commit: () => void): void {
    if (this.held) this.#waiting.add(commit);
    else commit();
  }
}

/** by file: every connection of this process to one file (the stores', the admin indexer's) shares its gate */
const fileGates = new Map<string, CommitGate>();
const memoryGates = new WeakMap<Database, CommitGate>();

/** The gate of the file `db` is open on: its batches, its other writers and its checkpoint thread share it. */
export function commitGate(db: Database): CommitGate {
  if (db.memory) {
    let gate = memoryGates.get(db);
    if (!gate) memoryGates.set(db, (gate = new CommitGate()));
    return gate;
  }
  const file = resolve(db.name);
  let gate = fileGates.get(file);
  if (!gate) fileGates.set(file, (gate = new CommitGate()));
  return gate;
}
