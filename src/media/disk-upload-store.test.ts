import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openSqlite } from '../store/sqlite/open-sqlite.js';
import { DiskUploadStore } from './disk-upload-store.js';
import { SqliteUploadCatalog } from './sqlite-upload-catalog.js';

const HOUR = 3_600_000;
const host = hostname().replace(/[^A-Za-z0-9.-]/g, '_');

async function openStore(dir: string, now: () => number) {
  const catalog = new SqliteUploadCatalog(openSqlite(join(dir, 'gateway.sqlite')), { ownsDb: true });
  return DiskUploadStore.open({ dir: join(dir, 'uploads'), catalog, ttlMs: 24 * HOUR, now, sweepEveryMs: 0 });
}

test('at open, temp files of crashed uploads go; uploads in progress elsewhere stay', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wag-disk-'));
  try {
    const tmp = join(dir, 'uploads', 'tmp');
    mkdirSync(tmp, { recursive: true });
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!; // a process that has exited: like one killed with -9
    const files = {
      crashed: `${host}~${dead}~aaaa.part`,
      ownPid: `${host}~${process.pid}~bbbb.part`, // a restarted container that got the same pid
      liveHere: `${host}~${process.ppid}~cccc.part`, // another live process on this host
      otherHost: `gateway-2~77~dddd.part`, // another instance on the shared volume
      otherHostStale: `gateway-3~88~eeee.part`,
    };
    for (const name of Object.values(files)) writeFileSync(join(tmp, name), 'partial');
    const twoHoursAgo = (Date.now() - 2 * HOUR) / 1000;
    utimesSync(join(tmp, files.otherHostStale), twoHoursAgo, twoHoursAgo);
    const store = await openStore(dir, Date.now);
    assert.deepEqual(readdirSync(tmp).sort(), [files.liveHere, files.otherHost].sort());
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('save moves the temp file under a fresh id; discard removes it; ids are never paths', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wag-disk-'));
  let now = Date.now();
  try {
    const store = await openStore(dir, () => now);
    const temp = store.tempFile();
    writeFileSync(temp, 'bytes');
    const saved = await store.save(temp, { openid: 'o', kind: 'audio', mime: 'audio/amr', bytes: 5 });
    assert.equal(existsSync(temp), false);
    assert.equal((await store.read(saved)).toString(), 'bytes');
    const second = store.tempFile();
    writeFileSync(second, 'x');
    const other = await store.save(second, { openid: 'o', kind: 'image', mime: 'image/png', bytes: 1 });
    assert.notEqual(other.id, saved.id);
    const dropped = store.tempFile();
    writeFileSync(dropped, 'half');
    await store.discard(dropped);
    assert.equal(existsSync(dropped), false);
    for (const id of ['../gateway.sqlite', 'tmp', '', saved.id + 'x']) assert.equal(await store.get('o', id), undefined, id);

    // a file whose record never got written (a crash between the two) goes by age
    const stray = join(dir, 'uploads', 'Z'.repeat(24));
    writeFileSync(stray, 'stray');
    now += 25 * HOUR;
    const removed = await store.sweepExpired();
    assert.equal(removed, 3, 'both uploads and the stray file');
    assert.deepEqual(readdirSync(join(dir, 'uploads')), ['tmp']);
    await store.close();
    await store.close(); // idempotent
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
