import assert from 'node:assert/strict';
import { it } from 'node:test';
import { loadConfig } from './config/load-config.js';
import Database from 'better-sqlite3';
import { describeListenError, describeNativeModuleError, describeSqliteError, startupBanner } from './startup-messages.js';

it('explains the listen failures an operator can fix, in Chinese and English', () => {
  const taken = describeListenError(Object.assign(new Error('x'), { code: 'EADDRINUSE' }), '0.0.0.0', 8000);
  assert.match(taken!, /^端口 8000 已被占用.* \/ port 8000 on 0\.0\.0\.0 is already in use/);
  assert.match(describeListenError({ code: 'EACCES' }, '0.0.0.0', 80)!, /没有权限监听端口 80/);
  assert.equal(describeListenError(new Error('other'), '0.0.0.0', 8000), undefined);
});

it('prints a clickable address and the console URL when the console is on', () => {
  const dev = startupBanner(loadConfig({}));
  assert.match(dev, /http:\/\/localhost:8000 \(WebSocket: ws:\/\/localhost:8000\/wechat\/ws\)/);
  assert.match(dev, /控制台 \/ console: http:\/\/localhost:8000\/console/);
  const prod = startupBanner(loadConfig({ NODE_ENV: 'production', WECHAT_APPID: 'wx1', WECHAT_APP_SECRET: 's', HOST: '10.0.0.5' }), 9000);
  assert.match(prod, /http:\/\/10\.0\.0\.5:9000/);
  assert.doesNotMatch(prod, /console/);
});

it('a native addon built for another Node gets one line with the command that fixes it', () => {
  // Node's own message (v26, an addon built on v20), as dlopen throws it
  const error = Object.assign(
    new Error(
      "The module '/srv/app/node_modules/better-sqlite3/build/Release/better_sqlite3.node'\n" +
        'was compiled against a different Node.js version using\nNODE_MODULE_VERSION 115. This version of Node.js requires\n' +
        'NODE_MODULE_VERSION 147. Please try re-compiling or re-installing\nthe module (for instance, using `npm rebuild` or `npm install`).',
    ),
    { code: 'ERR_DLOPEN_FAILED' },
  );
  const line = describeNativeModuleError(error, 'v26.12.1')!;
  assert.doesNotMatch(line, /\n/);
  assert.match(line, /^原生模块 better-sqlite3 是为另一个 Node\.js 版本编译的（NODE_MODULE_VERSION 115，当前 v26\.12\.1 需要 147）/);
  assert.match(line, /run `npm rebuild better-sqlite3`/);
  // a scoped package keeps its scope
  const scoped = { code: 'ERR_DLOPEN_FAILED', message: error.message.replace('better-sqlite3/build/Release/better_sqlite3', '@node-rs/jieba/jieba.linux-x64-gnu') };
  assert.match(describeNativeModuleError(scoped)!, /npm rebuild @node-rs\/jieba/);
  // other dlopen failures (a corrupt file, a missing library) are not this one
  assert.equal(describeNativeModuleError({ code: 'ERR_DLOPEN_FAILED', message: 'libfoo.so: cannot open shared object file' }), undefined);
  assert.equal(describeNativeModuleError(new Error('other')), undefined);
  assert.equal(describeNativeModuleError(undefined), undefined);
});

it('a database that cannot be opened or upgraded gets one line saying what to do, by SQLite error code', () => {
  const line = (code: string, message = 'x') => describeSqliteError(new Database.SqliteError(message, code), '/srv/data')!;
  assert.match(line('SQLITE_FULL'), /^磁盘已满，DATA_DIR（\/srv\/data）.*数据库没有被改动.* \/ the disk is full: .*nothing was changed/);
  assert.match(line('SQLITE_NOTADB'), /已损坏或不是 SQLite 文件（SQLITE_NOTADB）.*restore the directory from a backup/);
  assert.match(line('SQLITE_CORRUPT'), /SQLITE_CORRUPT/);
  assert.match(line('SQLITE_READONLY_DIRECTORY'), /无法读写.*not on a read-only disk/);
  assert.match(line('SQLITE_CANTOPEN'), /is writable by the gateway's user/);
  // any other SQLite failure: its code and first line, still no stack
  const other = line('SQLITE_ERROR', 'view messages_rekeyed already exists\nmore');
  assert.equal(other, '数据库错误 / database error in DATA_DIR (/srv/data) (SQLITE_ERROR): view messages_rekeyed already exists');
  for (const code of ['SQLITE_FULL', 'SQLITE_NOTADB', 'SQLITE_CANTOPEN']) assert.doesNotMatch(line(code), /\n/);
  // not a SQLite error
  assert.equal(describeSqliteError(Object.assign(new Error('x'), { code: 'SQLITE_FULL' }), '/srv/data'), undefined);
});
