import { performance } from 'node:perf_hooks';
import type { Database, Transaction } from 'better-sqlite3';
import { commitGate, type CommitGate } from './commit-gate.js';

/** Told of every group commit: which batch, its rows, and the seconds it held the event loop. */
export type CommitObserver = (batch: 'history' | 'sessions', rows: number, seconds: number) => void;

export interface WriteBatchOptions<Row> {
  /** a transaction failed and rolled back (whatever `write` noted of its rows is void) */
  rolledBack?: () => void;
  /** what `holds` asks about: the key a row is read by (e.g. its user) */
  keyOf?: (row: Row) => string;
  /** after each commit (fallbacks included): its rows and the seconds it took (metrics) */
  committed?: (rows: number, seconds: number) => void;
}

interface Pending<Row> {
  row: Row;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: writes asked for during one turn of the event loop are committed together in
 * one transaction (one WAL append instead of one per row), on `setImmediate` — after every
 * socket read of that turn, so a burst of chats shares a commit. Each caller's promise settles
 * only after the commit holding its row: whoever acknowledges on it acknowledges a stored row.
 *
 * Readers of the same table must call `flush()` first, so that they see every write asked for
 * before them (and a write asked for before a `clear()` lands in the old conversation). A
 * reader of one key's rows (one user's) flushes only when that key has a row pending
 * (`holds`): a chat that reads its user's history must not commit everyone else's rows early,
 * which would cost a commit per chat instead of one per turn.
 *
 * The turn's commit waits while the checkpoint thread holds the connection's commits (a few
 * milliseconds, so that the WAL can start over: commit-gate.ts); a reader's `flush()` does not.
 */
export class WriteBatch<Row> {
  private pending: Pending<Row>[] = [];
  /** the keys (`keyOf`) of the pending rows */
  private readonly pendingKeys = new Set<string>();
  /**
   * the whole batch in one transaction (prepared once, not per flush). IMMEDIATE: a row's write
   * may read first (the conversation number), and a deferred transaction that read before
   * another connection committed (the checkpoint thread's own row) gets SQLITE_BUSY on its
   * first write without waiting; an immediate one waits for the write lock (busy_timeout).
   */
  private readonly writeAll: Transaction<(batch: Pending<Row>[]) => void>;
  /** one row in a transaction of its own: the fallback after a failed batch, so a row is all or nothing */
  private readonly writeOne: Transaction<(row: Row) => void>;
  private readonly gate: CommitGate;
  /** the turn's commit: one function, so a hold queues it once */
  private readonly flushWhenOpen = () => this.gate.whenOpen(this.flushPending);
  private readonly flushPending = () => this.flush();

  constructor(
    db: Database,
    /**
     * writes one row; runs inside the batch's transaction (no savepoint of its own needed: a
     * failure rolls the whole batch back, and each row is then retried in its own transaction)
     */
    write: (row: Row) => void,
    private readonly options: WriteBatchOptions<Row> = {},
  ) {
    this.writeAll = db.transaction((batch: Pending<Row>[]) => {
      for (const { row } of batch) write(row);
    });
    this.writeOne = db.transaction(write);
    this.gate = commitGate(db);
  }

  /** Resolves once `row` is committed; rejects with the error of its own write. */
  add(row: Row): Promise<void> {
    if (this.options.keyOf) this.pendingKeys.add(this.options.keyOf(row));
    return new Promise((resolve, reject) => {
      if (this.pending.push({ row, resolve, reject }) === 1) setImmediate(this.flushWhenOpen);
    });
  }

  /** Whether a row with this key (`keyOf`) waits for its commit. */
  holds(key: string): boolean {
    return this.pendingKeys.has(key);
  }

  /** Commits everything asked for so far, now. */
  flush(): void {
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    this.pendingKeys.clear();
    const started = performance.now();
    const { rolledBack = () => {}, committed } = this.options;
    try {
      this.writeAll.immediate(batch);
    } catch {
      rolledBack();
      // One row failed (or the commit did): each row gets its own outcome, so one bad row
      // (a constraint, a closed file) does not fail the chats that shared its transaction.
      for (const entry of batch) {
        try {
          this.writeOne.immediate(entry.row);
        } catch (error) {
          rolledBack();
          entry.reject(error);
          entry.resolve = () => {};
        }
      }
    }
    committed?.(batch.length, (performance.now() - started) / 1000);
    for (const entry of batch) entry.resolve();
  }
}
