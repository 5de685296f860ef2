import { parentPort, workerData } from 'node:worker_threads';
import { createJiebaTokenizer } from '../../knowledge-base/index/tokenizer.js';
import { openSqlite } from '../../store/sqlite/open-sqlite.js';
import { AdminIndexer } from './admin-indexer.js';
import type { IndexThreadData, IndexThreadRequest } from './admin-index-thread.js';

/**
 * Entry of the admin index thread (admin-index-thread.ts): the background tail of the admin read
 * model on a connection of its own, with its own jieba, off the gateway's event loop. It writes
 * nothing while the file's commits are held (the gate's shared flag), catches up and cuts a
 * query's words when an operator's query asks, and stops when told.
 */
const { file, intervalMs, held } = workerData as IndexThreadData;
const db = openSqlite(file);
const tokenizer = createJiebaTokenizer();
const indexer = new AdminIndexer(db, tokenizer, {
  ...(intervalMs !== undefined && { intervalMs }),
  held: () => Atomics.load(held, 0) === 1,
  onError: (error) => parentPort!.postMessage({ failed: String(error) }),
});
indexer.start();
// the port's listener keeps this thread alive (the indexer's timer is unref'd)
parentPort!.on('message', (message: IndexThreadRequest) => {
  if (message.type === 'stop') {
    indexer.stop();
    db.close();
    parentPort!.close();
    return;
  }
  // an operator's query: what was just chatted indexed before it reads the list, and its words cut
  try {
    const result = message.type === 'catch-up' ? indexer.catchUp(message.batches) : tokenizer.terms(message.text);
    parentPort!.postMessage({ id: message.id, result });
  } catch (error) {
    parentPort!.postMessage({ id: message.id, error: String(error) });
  }
});
