import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Database } from 'better-sqlite3';
import { commitGate } from './commit-gate.js';
import { WAL_SIZE_LIMIT_BYTES } from './open-sqlite.js';

/**
 * The WAL length (frames) from which a WAL that did not start over on its own gets a hold of the
 * gateway's commits: SQLite's own automatic checkpoint keeps the WAL near this size (4 MB).
 */
const HOLD_FRAMES = 1_000;
/** the longest the gateway holds its commits for one restart, whatever the worker does */
const MAX_HOLD_MS = 200;

/**
 * The worker's code, inline (CommonJS): one more connection to the same file that copies the WAL
 * back into the database every `everyMs`. PASSIVE never waits for and never blocks the writer.
 *
 * After a checkpoint that copied everything, the next commit starts the WAL over from its first
 * frame, and SQLite fsyncs the new WAL header there (even under `synchronous = NORMAL`): 0.3–1 ms
 * on this machine, on the gateway's event loop, once per checkpoint (at one chat every 200 ms,
 * nearly every question paid it). So the worker makes that first commit itself — one row in
 * `wal_restarts` — and the gateway's commits append after it. It looks only when another
 * connection committed since its last look (`data_version`): an idle file costs nothing.
 *
 * A gateway that commits on every turn of its event loop adds frames while they are copied, so
 * the copy is never complete and the WAL would never start over (commit-gate.ts). When the WAL
 * has reached `holdFrames` and a copy is still not complete, the worker catches up and then asks
 * the gateway to hold its group commits ('hold' → 'held'), copies the rest and starts the WAL
 * over, then lets them go ('resume').
 */
const SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 1000');
// as the gateway's connection: under the default (FULL) its restart write would fsync twice
db.pragma('synchronous = NORMAL');
// the connection that starts the WAL over is the one that cuts the file back
db.pragma('journal_size_limit = ' + workerData.walSizeLimit);
const restart = db.prepare('INSERT INTO wal_restarts (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at');
let seen = -1;
let holding = false;
const copy = () => db.pragma('wal_checkpoint(PASSIVE)')[0];
const complete = (result) => result.busy === 0 && result.log > 0 && result.checkpointed === result.log;
// the restart write after a complete copy; true when the WAL did start over with it (it is then
// shorter than the copied one), false when a commit of the gateway came first and it only appended
const startOver = (copied) => {
  restart.run(Date.now());
  return copy().log < copied.log;
};
const checkpoint = (last) => {
  if (holding && !last) return;
  try {
    const version = db.pragma('data_version', { simple: true });
    if (version === seen && !last) return;
    seen = version;
    let result = copy();
    // every frame copied, however long the WAL: it starts over with this write at once, unless one
    // of the gateway's came first (that one restarts it then, and fsyncs, on the event loop)
    if (!last && complete(result) && startOver(result)) return;
    if (last || result.log < workerData.holdFrames) return;
    // A long WAL: the gateway commits while frames are copied, and one of its writes came first
    // each time. Catch up (each copy takes only what the one before let through), so that the
    // hold is short, then hold its commits for the last copy and the restart.
    for (let i = 0, before = 0; i < 3 && result.log - before > workerData.holdFrames / 4; i++) {
      before = result.log;
      result = copy();
      if (complete(result) && startOver(result)) return;
    }
    holding = true;
    parentPort.postMessage('hold');
  } catch {}
};
const timer = setInterval(checkpoint, workerData.everyMs, false);
parentPort.on('message', (message) => {
  if (message === 'held') {
    try { if (complete(copy())) restart.run(Date.now()); } catch {}
    holding = false;
    parentPort.postMessage('resume');
    return;
  }
  clearInterval(timer); checkpoint(true); db.close(); parentPort.close();
});
`;

export interface BackgroundCheckpoint {
  /** whether the worker thread has been started (it is, from the first write on) */
  readonly started: boolean;
  /** One last checkpoint, then the worker's connection closes. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Takes WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside whichever
 * commit crosses 1,000 WAL pages and, under `synchronous = NORMAL`, fsyncs the WAL and the
 * database there: tens of milliseconds on a busy disk during which no socket is served. Here a
 * worker thread does it instead and the gateway's connection never checkpoints. Durability is
 * unchanged: a commit is in the WAL either way. Should the worker die, the connection goes back
 * to checkpointing itself.
 *
 * The worker starts at the first write, not at open: a thread is a whole V8 isolate (+10 MB RSS
 * on Node 20, +16 MB on Node 24, and on Node 24 most of it stays resident after the thread
 * exits), which a process that has written nothing (a fresh or standby instance) does not need.
 * Until then the connection's own change counter is read every `everyMs` (one tiny query).
 */
export interface BackgroundCheckpointOptions {
  /** how often the worker looks (default 250 ms) */
  everyMs?: number;
  /** the WAL length that makes it hold the commits when a copy is not complete (default 1,000 frames) */
  holdFrames?: number;
  /** told how long each hold of the group commits lasted (the metrics) */
  onHold?: (seconds: number) => void;
}

export function startBackgroundCheckpoint(db: Database, file: string, { everyMs = 250, holdFrames = HOLD_FRAMES, onHold }: BackgroundCheckpointOptions = {}): BackgroundCheckpoint {
  db.pragma('wal_autocheckpoint = 0');
  const gate = commitGate(db);
  gate.onReleased = onHold;
  const changes = db.prepare('SELECT total_changes()').pluck();
  const openedAt = changes.get();
  let worker: Worker | undefined;
  let exited: Promise<void> | undefined;
  let stopping = false;
  // no worker after all: the connection checkpoints itself again, inside its commits
  const checkpointHere = () => {
    if (!stopping && db.open) db.pragma('wal_autocheckpoint = 1000');
  };
  const start = () => {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    try {
      worker = new Worker(SOURCE, { eval: true, workerData: { driver, file, everyMs, holdFrames, walSizeLimit: WAL_SIZE_LIMIT_BYTES } });
    } catch {
      return checkpointHere(); // a thread refused at run time (memory, limits) must not crash the gateway
    }
    worker.unref();
    const thread = worker;
    exited = new Promise<void>((resolve) => thread.once('exit', () => resolve()));
    thread.once('error', checkpointHere);
    // the handshake of a restart under load: no group commit while the worker copies the rest
    thread.on('message', (message) => {
      if (message === 'resume') return gate.release();
      if (message !== 'hold' || stopping) return;
      gate.hold(MAX_HOLD_MS);
      thread.postMessage('held');
    });
    // a worker gone mid-hold must not keep the commits waiting for MAX_HOLD_MS
    thread.once('exit', () => gate.release());
  };
  const waiting = setInterval(() => {
    if (!db.open || changes.get() === openedAt) return;
    clearInterval(waiting);
    start();
  }, everyMs);
  waiting.unref();
  let stopped: Promise<void> | undefined;
  return {
    get started() {
      return worker !== undefined;
    },
    stop() {
      stopping = true;
      clearInterval(waiting);
      stopped ??= (async () => {
        if (!worker) {
          // written since the last look, and the worker not started yet: the last checkpoint is ours
          if (db.open && changes.get() !== openedAt) db.pragma('wal_checkpoint(PASSIVE)');
          return;
        }
        worker.ref(); // held until its last checkpoint is done
        worker.postMessage('stop');
        await exited;
      })();
      return stopped;
    },
  };
}
