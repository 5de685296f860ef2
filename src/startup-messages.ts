import type { Config } from './config/config-schema.js';

/**
 * What serve.ts tells an operator when the gateway starts, or cannot: kept apart from serve so the
 * wording is tested without starting a process.
 */

/** One line for a listen failure we can explain (port taken, no permission), else undefined. */
export function describeListenError(error: unknown, host: string, port: number, portVariable = 'PORT'): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (code === 'EADDRINUSE') {
    return `端口 ${port} 已被占用，请停止占用它的进程或设置 ${portVariable} / port ${port} on ${host} is already in use: stop the other process or set ${portVariable}`;
  }
  if (code === 'EACCES') {
    return `没有权限监听端口 ${port}（1024 以下的端口需要 root），请设置 ${portVariable} / no permission to listen on port ${port}: use a port above 1024 or set ${portVariable}`;
  }
  if (code === 'EADDRNOTAVAIL') {
    return `本机没有地址 ${host}，请检查 HOST / address ${host} is not on this machine: check HOST`;
  }
  return undefined;
}

/**
 * One line for a native addon built for another Node (better-sqlite3 after a Node upgrade
 * without `npm rebuild`), else undefined. Node's own message is five lines and a stack; the
 * fix is one command.
 */
export function describeNativeModuleError(error: unknown, node = process.version): string | undefined {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (code !== 'ERR_DLOPEN_FAILED' || typeof message !== 'string') return undefined;
  const versions = /NODE_MODULE_VERSION (\d+)\.[\s\S]*?NODE_MODULE_VERSION (\d+)/.exec(message);
  if (!versions) return undefined;
  // …/node_modules/<name>/build/Release/<file>.node, or a scoped package
  const name = /node_modules\/((?:@[^/]+\/)?[^/]+)\/[^']*\.node/.exec(message)?.[1] ?? 'native module';
  const [, built, needed] = versions;
  return (
    `原生模块 ${name} 是为另一个 Node.js 版本编译的（NODE_MODULE_VERSION ${built}，当前 ${node} 需要 ${needed}），请在项目目录运行 npm rebuild ${name}（或重新 npm ci）` +
    ` / the native module ${name} was built for another Node.js (NODE_MODULE_VERSION ${built}; ${node} needs ${needed}): run \`npm rebuild ${name}\` (or \`npm ci\`) in the project directory`
  );
}

/**
 * One line for a SQLite file that cannot be opened or brought up to date (better-sqlite3's
 * SqliteError, by its code), else undefined. A schema upgrade runs in one transaction, so a
 * failure part-way leaves the file as the previous version wrote it: the line says so, and
 * what to do before starting again.
 */
export function describeSqliteError(error: unknown, dataDir: string): string | undefined {
  const { name, code, message } = (error ?? {}) as { name?: unknown; code?: unknown; message?: unknown };
  if (name !== 'SqliteError' || typeof code !== 'string') return undefined;
  const where = `DATA_DIR（${dataDir}）`;
  const whereEn = `DATA_DIR (${dataDir})`;
  if (code === 'SQLITE_FULL') {
    return (
      `磁盘已满，${where}里的数据库写不进去（升级数据库结构要临时多占与对话消息表一样大的空间）；数据库没有被改动，腾出空间后重新启动` +
      ` / the disk is full: the database in ${whereEn} cannot be written (a schema upgrade needs as much free space as the messages table for a while); nothing was changed, free some space and start again`
    );
  }
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB') {
    return (
      `${where}里的数据库文件已损坏或不是 SQLite 文件（${code}）：停止网关，从备份恢复这个目录（docs/deployment.md），或用 sqlite3 的 .recover 救出数据` +
      ` / a database file in ${whereEn} is damaged or not a SQLite file (${code}): stop the gateway and restore the directory from a backup, or salvage it with sqlite3's .recover`
    );
  }
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN') || code === 'SQLITE_PERM' || code.startsWith('SQLITE_IOERR')) {
    return (
      `无法读写 ${where}里的数据库（${code}）：检查目录是否存在、运行网关的用户能否写它、磁盘是否只读` +
      ` / cannot read or write the database in ${whereEn} (${code}): check that the directory exists, is writable by the gateway's user, and is not on a read-only disk`
    );
  }
  const detail = typeof message === 'string' ? message.split('\n')[0] : '';
  return `数据库错误 / database error in ${whereEn} (${code}): ${detail}`;
}

/** The "listening" line, with the URLs a newcomer wants to click. */
export function startupBanner(config: Readonly<Config>, port = config.port): string {
  // 0.0.0.0 and :: listen everywhere; a browser wants a real address
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const parts = [`wechat-ai-gateway listening on ${base} (WebSocket: ${base.replace('http', 'ws')}/wechat/ws)`];
  if (config.consoleEnabled) parts.push(`控制台 / console: ${base}/console`);
  return parts.join(' — ');
}
