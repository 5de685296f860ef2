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

interface Fixture {
  file: string;
  db: ReturnType<typeof openSqlite>;
  store: SqliteHistoryStore;
  checkpoints: BackgroundCheckpoint;
  /** each hold of the group commits: how long it lasted (s), and the WAL generation when it ended */
  holds: Array<{ seconds: number; generation: number }>;
}

/** A fresh file with its history store and checkpointer; both closed after `body`. */
async function withCheckpoints(name: string, everyMs: number, body: (f: Fixture) => Promise<void>, holdFrames?: number): Promise<void> {
  const file = join(dir, name);
  const db = openSqlite(file);
  const holds: Fixture['holds'] = [];
  const onHold = (seconds: number) => holds.push({ seconds, generation: walGeneration(file) });
  const checkpoints = startBackgroundCheckpoint(db, file, { everyMs, holdFrames, onHold });
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

  it('a long WAL copied in full starts over at once on the worker: no hold of the commits, and the next commit appends', () =>
    withCheckpoints(
      'long-complete.db',
      20,
      async ({ file, db, store, holds }) => {
        // one burst past holdFrames, then nothing: the worker's copy is complete. It used to hold
        // the commits anyway (and while it caught up first, a commit of the gateway could restart
        // the WAL itself, fsyncing on the event loop)
        const before = walGeneration(file);
        await Promise.all(Array.from({ length: 120 }, (_, i) => store.append(`o_${i % 4}`, { ...message(`m${i}`), content: 'x'.repeat(3_000) })));
        await until(() => walGeneration(file) > before);
        // the new WAL's header is on disk as the worker's commit begins, before that commit is
        // visible to this connection: wait for its row, not just the header
        await until(() => restarts(db) === 1);
        const restarted = walGeneration(file);
        await store.append('o_0', message('after'));
        assert.equal(walGeneration(file), restarted, "the gateway's next commit appended to the worker's new WAL");
        assert.deepEqual(holds, [], 'the commits were never held');
      },
      50,
    ));

  it('under a commit on every turn the WAL still starts over: each hold of the commits ends with a new WAL, and no row is lost or reordered', () =>
    withCheckpoints(
      'busy.db',
      25,
      async ({ file, db, store, holds }) => {
        // the gateway at full load: 40 users' rows per group commit, the next ones queued as soon
        // as the last commit settled. Then a checkpoint is rarely complete when a write begins, and
        // the WAL grows for as long as the load lasts (300 MB in 1.5 s). How often the WAL starts
        // over by luck depends on the machine; that each hold starts it over does not.
        const users = 40;
        const sent = new Map<string, string[]>();
        const before = walGeneration(file);
        const end = Date.now() + 15_000;
        for (let turn = 0; holds.length < 3 && Date.now() < end; turn++) {
          const writes = [];
          for (let u = 0; u < users; u++) {
            const openid = `o_${u}`;
            const id = `m${turn}`;
            if (!sent.has(openid)) sent.set(openid, []);
            sent.get(openid)!.push(id);
            writes.push(store.append(openid, { ...message(id), content: 'x'.repeat(200) }));
          }
          await Promise.all(writes);
        }
        assert.ok(holds.length >= 3, `${holds.length} holds in 15 s of load`);
        const generations = [before, ...holds.map((hold) => hold.generation)];
        assert.ok(generations.every((g, i) => i === 0 || g > generations[i - 1]!), `the WAL started over in every hold: generations ${generations.join(', ')}`);
        assert.ok(Math.max(...holds.map((hold) => hold.seconds)) <= 0.25, 'no hold outlasts its cap');
        for (const [openid, ids] of sent) {
          const stored = db.prepare('SELECT id FROM messages WHERE openid = ? ORDER BY seq').pluck().all(openid);
          assert.deepEqual(stored, ids, `${openid}: every row once, in order`);
        }
      },
      200,
    ));
});
