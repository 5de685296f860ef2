import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { openSqlite } from './open-sqlite.js';
import { SqliteHistoryStore } from './sqlite-history-store.js';

const ROUNDS = 300;
const dir = mkdtempSync(join(tmpdir(), 'wag-concurrent-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Another connection committing one row as fast as it can, on its own thread (as the checkpoint thread commits its row). */
const WRITER = `
const { workerData, parentPort } = require('node:worker_threads');
const db = new (require(workerData.driver))(workerData.file);
db.pragma('busy_timeout = 5000');
const bump = db.prepare('INSERT INTO wal_restarts (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at');
let stop = false;
parentPort.once('message', () => { stop = true; });
const loop = () => { for (let i = 0; i < 50 && !stop; i++) bump.run(Date.now()); if (stop) { db.close(); parentPort.close(); } else setImmediate(loop); };
loop();
parentPort.postMessage('writing');
`;

it('appends keep landing while another connection commits in a loop: a batch that reads first waits for the write lock instead of failing with SQLITE_BUSY', async () => {
  const file = join(dir, 'busy.db');
  const db = openSqlite(file);
  const store = new SqliteHistoryStore(db);
  const writer = new Worker(WRITER, { eval: true, workerData: { driver: createRequire(import.meta.url).resolve('better-sqlite3'), file } });
  try {
    await new Promise((resolve) => writer.once('message', resolve));
    const users = Array.from({ length: 20 }, (_, u) => `o_${u}`);
    for (let round = 0; round < ROUNDS; round++) {
      // one batch per round, 20 users: each row's write reads its user's conversation number first
      await Promise.all(users.map((openid) => store.append(openid, { id: `m${round}`, role: 'user', content: `${round}`, status: 'complete', createdAt: round })));
    }
    for (const openid of users) assert.equal((await store.listRecent(openid, ROUNDS)).length, ROUNDS);
  } finally {
    writer.postMessage('stop');
    await new Promise((resolve) => writer.once('exit', resolve));
    await store.close();
    db.close();
  }
});
