import type { FeedbackStore } from './feedback-store.js';
import type { HistoryStore } from './history-store.js';
import type { SessionStore } from './session-store.js';

/**
 * The stores of one backend plus the single owner of its connection. The composition root
 * builds one (`createSqliteStores` or `createRedisStores`) and closes it on shutdown.
 *
 * The stores inside share the connection and do not own it: their own `close()` only stops
 * that store. `close()` here releases the connection; it is idempotent, so shutdown paths
 * may call it more than once.
 */
export interface StoreBundle {
  history: HistoryStore;
  sessions: SessionStore;
  feedback: FeedbackStore;
  driver: 'sqlite' | 'redis';
  /** SQLite on a file: the WAL's size on disk now (the metrics) */
  walBytes?: (() => number) | undefined;
  close(): Promise<void>;
}
