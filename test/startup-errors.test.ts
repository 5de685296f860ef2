import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { openSqlite } from '../src/store/sqlite/open-sqlite.js';
import { freePort, serverCommand } from './support/spawn-server.js';
import { toSchemaVersion4 } from './support/sqlite-version4.js';

const run = promisify(execFile);

/**
 * A Node on this machine whose native-addon ABI differs from this one's: on PATH (CI's Node 26
 * pass has the machine's Node 20 behind it) or fetched by .ci/run into ~/.cache/node*.
 */
/** Mounts a tmpfs of `bytes` at a new directory (root only); undefined where mounting is not allowed. */
function smallDisk(bytes: number): { dir: string; resize(bytes: number): void; unmount(): void } | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'wag-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  return {
    dir,
    resize: (size) => execFileSync('mount', ['-o', `remount,size=${size}`, dir], { stdio: 'ignore' }),
    unmount: () => {
      execFileSync('umount', [dir], { stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function otherAbiNode(): string | undefined {
  const cache = join(homedir(), '.cache');
  const candidates = [
    ...(process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'node')),
    ...(existsSync(cache) ? readdirSync(cache).filter((d) => /^node\d+$/.test(d)).map((d) => join(cache, d, 'package', 'bin', 'node')) : []),
  ];
  for (const node of candidates) {
    if (!existsSync(node)) continue;
    try {
      if (execFileSync(node, ['-p', 'process.versions.modules']).toString().trim() !== process.versions.modules) return node;
    } catch {
      // not a runnable Node
    }
  }
  return undefined;
}

/** Runs the entry point to its exit (on another Node when given); resolves with its code and stderr. */
async function startExpectingFailure(env: Record<string, string>, command: [string, string[]] = serverCommand()) {
  const [node, args] = command;
  return run(node, args, {
    env: { PATH: process.env.PATH, ENV_FILE: '/dev/null', HOST: '127.0.0.1', KB_LOAD_SAMPLE: 'false', ...env },
    timeout: 30_000,
  }).then(
    () => ({ code: 0, stderr: '' }),
    (error: { code: number; stderr: string }) => error,
  );
}

describe('startup failures end with one clear line, no stack trace', () => {
  it('the port is taken', async () => {
    const port = await freePort();
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
    try {
      const result = await startExpectingFailure({ PORT: String(port), DATA_DIR: mkdtempSync(join(tmpdir(), 'wag-port-')) });
      assert.equal(result.code, 1);
      const lines = result.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `one line: ${result.stderr}`);
      assert.match(lines[0]!, /端口 \d+ 已被占用/);
      assert.match(lines[0]!, /already in use/);
      assert.doesNotMatch(result.stderr, /\bat \S+:\d+/, 'no stack trace');
    } finally {
      squatter.close();
    }
  });

  it('REDIS_URL points at nothing', async () => {
    const port = await freePort(); // nothing listens there
    const result = await startExpectingFailure({ PORT: String(await freePort()), REDIS_URL: `redis://127.0.0.1:${port}` });
    assert.equal(result.code, 1);
    assert.equal(result.stderr.trim().split('\n').length, 1, `one line: ${result.stderr}`);
    assert.match(result.stderr, /启动失败 \/ startup failed: REDIS_URL is set but Redis does not answer/);
  });

  it('a database file that is not SQLite (damaged, overwritten)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wag-notadb-'));
    writeFileSync(join(dataDir, 'gateway.sqlite'), Buffer.alloc(8192, 'not a database '));
    const result = await startExpectingFailure({ PORT: String(await freePort()), DATA_DIR: dataDir });
    assert.equal(result.code, 1);
    assert.equal(result.stderr.trim().split('\n').length, 1, `one line: ${result.stderr}`);
    assert.match(result.stderr, /^启动失败 \/ startup failed: DATA_DIR（.*）里的数据库文件已损坏或不是 SQLite 文件（SQLITE_NOTADB）/);
    assert.doesNotMatch(result.stderr, /\bat \S+:\d+/, 'no stack trace');
    // the knowledge-base command on a damaged kb file says the same
    writeFileSync(join(dataDir, 'kb.sqlite'), Buffer.alloc(8192, 'not a database '));
    const [node, args] = serverCommand();
    const kb = await startExpectingFailure({ DATA_DIR: dataDir }, [node, [...args.slice(0, -1), args.at(-1)!.replace(/main\.js$/, 'cli/kb.js'), 'list']]);
    assert.equal(kb.code, 1);
    assert.equal(kb.stderr.trim().split('\n').length, 1, `one line: ${kb.stderr}`);
    assert.match(kb.stderr, /SQLITE_NOTADB/);
  });

  const probe = smallDisk(1 << 20);
  probe?.unmount();
  it('the disk fills up during the one-time schema upgrade: one line, the file as it was, and the next start upgrades it', { skip: !probe && 'mounting a small tmpfs needs root' }, async () => {
    // a version-4 file of ~12 MB of messages, on a disk with 4 MB to spare: migration 5 copies the table
    const built = join(mkdtempSync(join(tmpdir(), 'wag-v4-')), 'gateway.sqlite');
    const db = openSqlite(built);
    const insert = db.prepare(`INSERT INTO messages (openid, conversation, id, role, content, status, created_at) VALUES (?, 0, ?, 'user', ?, 'complete', ?)`);
    db.transaction(() => {
      for (let i = 0; i < 12_000; i++) insert.run(`o${i % 300}`, `m${i}`, '问'.repeat(300), i);
    })();
    toSchemaVersion4(db);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    const size = statSync(built).size;
    const disk = smallDisk(size + (4 << 20))!;
    try {
      const file = join(disk.dir, 'gateway.sqlite');
      copyFileSync(built, file);
      const result = await startExpectingFailure({ PORT: String(await freePort()), DATA_DIR: disk.dir });
      assert.equal(result.code, 1);
      assert.equal(result.stderr.trim().split('\n').length, 1, `one line: ${result.stderr}`);
      assert.match(result.stderr, /^启动失败 \/ startup failed: 磁盘已满.*数据库没有被改动.*nothing was changed/);
      const after = new Database(file);
      assert.equal(after.pragma('user_version', { simple: true }), 4);
      assert.equal(after.prepare('SELECT COUNT(*) FROM messages').pluck().get(), 12_000);
      assert.equal(after.pragma('integrity_check', { simple: true }), 'ok');
      after.close();
      disk.resize(3 * size + (8 << 20));
      const upgraded = openSqlite(file);
      assert.ok((upgraded.pragma('user_version', { simple: true }) as number) >= 5);
      assert.equal(upgraded.prepare('SELECT COUNT(*) FROM messages').pluck().get(), 12_000);
      upgraded.close();
    } finally {
      disk.unmount();
    }
  });

  const other = otherAbiNode();
  it('better-sqlite3 was built for another Node (upgraded without npm rebuild): the server and the kb command say which command fixes it', { skip: !other && 'no Node with another addon ABI on this machine' }, async () => {
    const [, args] = serverCommand();
    const dataDir = mkdtempSync(join(tmpdir(), 'wag-abi-'));
    const server = await startExpectingFailure({ PORT: String(await freePort()), DATA_DIR: dataDir }, [other!, args]);
    assert.equal(server.code, 1);
    assert.equal(server.stderr.trim().split('\n').length, 1, `one line: ${server.stderr}`);
    assert.match(server.stderr, /^启动失败 \/ startup failed: 原生模块 better-sqlite3 是为另一个 Node\.js 版本编译的/);
    assert.match(server.stderr, /run `npm rebuild better-sqlite3`/);
    const kb = await startExpectingFailure({ DATA_DIR: dataDir }, [other!, [args.at(-1)!.replace(/main\.js$/, 'cli/kb.js'), 'list']]);
    assert.equal(kb.code, 1);
    assert.equal(kb.stderr.trim().split('\n').length, 1, `one line: ${kb.stderr}`);
    assert.match(kb.stderr, /npm rebuild better-sqlite3/);
  });
});
