import assert from 'node:assert/strict';
import { mkdtempSync, openSync, readFileSync, readSync, closeSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startBackgroundCheckpoint, type BackgroundCheckpoint } from './background-checkpoint.js';
import { openSqlite } from './open-sqlite.js';
import { SqliteHistoryStore } from './sqlite-history-store.js';

const dir = mkdtempSync(join(tmpdir(), 'wag-ckpt-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The first `length` bytes of a file (a header). */
function head(path: string, length: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const header = Buffer.alloc(length);
    readSync(fd, header, 0, length, 0);
    return header;
  } finally {
    closeSync(fd);
  }
}

/** The WAL header's checkpoint sequence number: it goes up each time the WAL starts over. */
const walGeneration = (file: string) => head(`${file}-wal`, 16).readUInt32BE(12);

/**
 * Frames in the WAL's current generation: `mxFrame` of the WAL-index header in the -shm file
 * (offset 16, native byte order). The file's size only says how far it ever grew.
 */
const walFrames = (file: string) => head(`${file}-shm`, 20).readUInt32LE(16);

async function until(condition: () => boolean, ms = 5_000): Promise<void> {
  for (const end = Date.now() + ms; !condition(); await sleep(10)) if (Date.now() > end) throw new Error('timed out');
}

interface Fixture {
  file: string;
  db: ReturnType<typeof openSqlite>;
  store: SqliteHistoryStore;
  checkpoints: BackgroundCheckpoint;
  /** how long each hold of the group commits lasted (s) */
  holds: number[];
}

/** A fresh file with its history store and checkpointer; both closed after `body`. */
async function withCheckpoints(name: string, everyMs: number, body: (f: Fixture) => Promise<void>): Promise<void> {
  const file = join(dir, name);
  const db = openSqlite(file);
  const holds: number[] = [];
  const checkpoints = startBackgroundCheckpoint(db, file, { everyMs, onHold: (seconds) => holds.push(seconds) });
  try {
    await body({ file, db, store: new SqliteHistoryStore(db), checkpoints, holds });
  } finally {
    await checkpoints.stop();
    db.close();
  }
}

const restarts = (db: Fixture['db']) => db.prepare('SELECT COUNT(*) FROM wal_restarts').pluck().get() as number;

const message = (id: string) => ({ id, role: 'user' as const, content: id, status: 'complete' as const, createdAt: 1 });

describe('background checkpoint', () => {
  it('copies the WAL back and starts it over on its own thread: the next commit of the gateway appends, it does not restart (and fsync) the WAL', () =>
    withCheckpoints('restart.db', 20, async ({ file, store }) => {
      await store.append('o_1', message('a'));
      const before = walGeneration(file);
      await until(() => walGeneration(file) > before);
      // nothing else writes now: the worker looks again only after another connection commits
      const restarted = walGeneration(file);
      await store.append('o_1', message('b'));
      assert.equal(walGeneration(file), restarted, "the gateway's commit went after the worker's, in the same WAL generation");
      assert.deepEqual((await store.listRecent('o_1', 10)).map((m) => m.id), ['a', 'b']);
    }));

  it('an idle file is left alone: no checkpoint, no write, while nobody commits', () =>
    withCheckpoints('idle.db', 10, async ({ db, store }) => {
      await store.append('o_1', message('a'));
      await until(() => restarts(db) === 1);
      const at = db.prepare('SELECT at FROM wal_restarts').pluck().get();
      await sleep(100);
      assert.equal(db.prepare('SELECT at FROM wal_restarts').pluck().get(), at, 'no write of its own while idle');
    }));

  it('starts no thread until the first write: an instance that has written nothing holds no second isolate', () =>
    withCheckpoints('lazy.db', 10, async ({ db, store, checkpoints }) => {
      await store.listRecent('o_1', 10); // reads do not count
      await sleep(60);
      assert.equal(checkpoints.started, false);
      await store.append('o_1', message('a'));
      await until(() => checkpoints.started);
      await until(() => restarts(db) === 1);
    }));

  it('a write made before the worker started is checkpointed on stop, on the connection itself', () =>
    withCheckpoints('early-stop.db', 60_000, async ({ file, store, checkpoints }) => {
      const marker = 'written-before-the-worker-started';
      await store.append('o_1', { ...message('a'), content: marker });
      assert.equal(checkpoints.started, false);
      assert.ok(!readFileSync(file).includes(marker), 'only in the WAL so far');
      await checkpoints.stop();
      assert.ok(readFileSync(file).includes(marker), 'copied into the database file');
    }));

  it('a worker that fails (its table gone) hands checkpointing back to the connection; writes go on', () =>
    withCheckpoints('broken.db', 10, async ({ db, store, checkpoints }) => {
      db.exec('DROP TABLE wal_restarts');
      assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), 0, 'the worker owns checkpoints');
      await store.append('o_1', message('a'));
      await until(() => checkpoints.started);
      await until(() => db.pragma('wal_autocheckpoint', { simple: true }) === 1000);
      await store.append('o_1', message('b'));
      assert.deepEqual((await store.listRecent('o_1', 10)).map((m) => m.id), ['a', 'b']);
    }));

  it('under a commit on every turn the WAL still starts over and stays short: the commits are held for the last copy, and no row is lost or reordered', () =>
    withCheckpoints('busy.db', 25, async ({ file, db, store, holds }) => {
      // the gateway at full load: 40 users' rows per group commit, the next ones queued as soon
      // as the last commit settled. Without the hold no checkpoint is ever complete when a
      // write begins: the WAL never starts over (this test saw generation 0 and 300 MB).
      const users = 40;
      const sent = new Map<string, string[]>();
      let longest = 0;
      const before = walGeneration(file);
      const end = Date.now() + 1_500;
      for (let turn = 0; Date.now() < end; turn++) {
        const writes = [];
        for (let u = 0; u < users; u++) {
          const openid = `o_${u}`;
          const id = `m${turn}`;
          if (!sent.has(openid)) sent.set(openid, []);
          sent.get(openid)!.push(id);
          writes.push(store.append(openid, { ...message(id), content: 'x'.repeat(200) }));
        }
        await Promise.all(writes);
        // once the worker runs (it starts at the first write, slower on some Nodes, and the WAL grows meanwhile)
        if (turn % 10 === 0 && walGeneration(file) > before) longest = Math.max(longest, walFrames(file));
      }
      const generations = walGeneration(file) - before;
      assert.ok(generations >= 5, `the WAL started over ${generations} times in 1.5 s`);
      // without the hold it only grows: ~75,000 frames (300 MB) in these 1.5 s
      assert.ok(longest < 16_000, `the WAL reached ${longest} frames`);
      assert.ok(holds.length > 0, 'the restarts took holds (reported to the metrics)');
      assert.ok(Math.max(...holds) <= 0.25, `no hold outlasts its cap: ${Math.max(...holds)} s`);
      for (const [openid, ids] of sent) {
        const stored = db.prepare('SELECT id FROM messages WHERE openid = ? ORDER BY seq').pluck().all(openid);
        assert.deepEqual(stored, ids, `${openid}: every row once, in order`);
      }
    }));
});
