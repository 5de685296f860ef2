import { statSync } from 'node:fs';
import type { Logger } from 'pino';
import type { StoreBundle } from '../store-bundle.js';
import { startBackgroundCheckpoint } from './background-checkpoint.js';
import { openSqlite } from './open-sqlite.js';
import { SqliteFeedbackStore } from './sqlite-feedback-store.js';
import { SqliteHistoryStore } from './sqlite-history-store.js';
import { SqliteSessionStore } from './sqlite-session-store.js';
import type { CommitObserver } from './write-batch.js';

/** the WAL file's size: 0 before the first write and after a clean close (SQLite removes it) */
function walBytes(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/**
 * Opens one SQLite file and builds the stores on it. The bundle owns the file handle.
 *
 * @example
 * const stores = createSqliteStores('./data/gateway.db');
 * await stores.history.ping();
 * // …on shutdown
 * await stores.close();
 */
export function createSqliteStores(
  file: string,
  log?: Pick<Logger, 'warn' | 'info'>,
  /** told of every group commit (the metrics) */
  onCommit?: CommitObserver,
  /** told how long each hold of the group commits for a WAL restart lasted (the metrics) */
  onHold?: (seconds: number) => void,
): StoreBundle {
  const db = openSqlite(file, log);
  const inMemory = file === ':memory:' || file === '';
  const checkpoints = inMemory ? undefined : startBackgroundCheckpoint(db, file, { onHold });
  const history = new SqliteHistoryStore(db, onCommit);
  const sessions = new SqliteSessionStore(db, onCommit);
  const feedback = new SqliteFeedbackStore(db);
  let closing: Promise<void> | undefined;
  return {
    history,
    sessions,
    feedback,
    driver: 'sqlite',
    walBytes: inMemory ? undefined : () => walBytes(`${file}-wal`),
    close() {
      closing ??= (async () => {
        await Promise.all([history.close(), sessions.close(), feedback.close()]);
        await checkpoints?.stop();
        db.close();
      })();
      return closing;
    },
  };
}
