import assert from 'node:assert/strict';
import { mkdtempSync, openSync, readFileSync, readSync, closeSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startBackgroundCheckpoint } from './background-checkpoint.js';
import { openSqlite } from './open-sqlite.js';
import { SqliteHistoryStore } from './sqlite-history-store.js';

const dir = mkdtempSync(join(tmpdir(), 'wag-ckpt-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The WAL header's checkpoint sequence number: it goes up each time the WAL starts over. */
function walGeneration(file: string): number {
  const fd = openSync(`${file}-wal`, 'r');
  try {
    const header = Buffer.alloc(16);
    readSync(fd, header, 0, 16, 0);
    return header.readUInt32BE(12);
  } finally {
    closeSync(fd);
  }
}

async function until(condition: () => boolean, ms = 5_000): Promise<void> {
  for (const end = Date.now() + ms; !condition(); await sleep(10)) if (Date.now() > end) throw new Error('timed out');
}

const message = (id: string) => ({ id, role: 'user' as const, content: id, status: 'complete' as const, createdAt: 1 });

describe('background checkpoint', () => {
  it('copies the WAL back and starts it over on its own thread: the next commit of the gateway appends, it does not restart (and fsync) the WAL', async () => {
    const file = join(dir, 'restart.db');
    const db = openSqlite(file);
    const store = new SqliteHistoryStore(db);
    const checkpoints = startBackgroundCheckpoint(db, file, 20);
    try {
      await store.append('o_1', message('a'));
      const before = walGeneration(file);
      await until(() => walGeneration(file) > before);
      // nothing else writes now: the worker looks again only after another connection commits
      const restarted = walGeneration(file);
      await store.append('o_1', message('b'));
      assert.equal(walGeneration(file), restarted, "the gateway's commit went after the worker's, in the same WAL generation");
      assert.deepEqual((await store.listRecent('o_1', 10)).map((m) => m.id), ['a', 'b']);
    } finally {
      await checkpoints.stop();
      db.close();
    }
  });

  it('an idle file is left alone: no checkpoint, no write, while nobody commits', async () => {
    const file = join(dir, 'idle.db');
    const db = openSqlite(file);
    const store = new SqliteHistoryStore(db);
    const checkpoints = startBackgroundCheckpoint(db, file, 10);
    try {
      await store.append('o_1', message('a'));
      await until(() => (db.prepare('SELECT COUNT(*) FROM wal_restarts').pluck().get() as number) === 1);
      const at = db.prepare('SELECT at FROM wal_restarts').pluck().get();
      await sleep(100);
      assert.equal(db.prepare('SELECT at FROM wal_restarts').pluck().get(), at, 'no write of its own while idle');
    } finally {
      await checkpoints.stop();
      db.close();
    }
  });

  it('starts no thread until the first write: an instance that has written nothing holds no second isolate', async () => {
    const file = join(dir, 'lazy.db');
    const db = openSqlite(file);
    const store = new SqliteHistoryStore(db);
    const checkpoints = startBackgroundCheckpoint(db, file, 10);
    try {
      await store.listRecent('o_1', 10); // reads do not count
      await sleep(60);
      assert.equal(checkpoints.started, false);
      await store.append('o_1', message('a'));
      await until(() => checkpoints.started);
      await until(() => (db.prepare('SELECT COUNT(*) FROM wal_restarts').pluck().get() as number) === 1);
    } finally {
      await checkpoints.stop();
      db.close();
    }
  });

  it('a write made before the worker started is checkpointed on stop, on the connection itself', async () => {
    const file = join(dir, 'early-stop.db');
    const db = openSqlite(file);
    const store = new SqliteHistoryStore(db);
    const checkpoints = startBackgroundCheckpoint(db, file, 60_000);
    const marker = 'written-before-the-worker-started';
    await store.append('o_1', { ...message('a'), content: marker });
    assert.equal(checkpoints.started, false);
    assert.ok(!readFileSync(file).includes(marker), 'only in the WAL so far');
    await checkpoints.stop();
    assert.ok(readFileSync(file).includes(marker), 'copied into the database file');
    db.close();
  });
});
