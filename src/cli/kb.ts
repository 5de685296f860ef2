/**
 * Knowledge-base command line. Works on DATA_DIR/kb.sqlite directly, configured exactly as the
 * gateway (the same .env and variables, the same composition root); a running gateway picks
 * the changes up within seconds.
 *
 *   npm run kb -- add <files|dirs…>      load .md .txt .html .pdf .docx, Q&A .csv/.json
 *   npm run kb -- list
 *   npm run kb -- remove <docId|name>
 *   npm run kb -- search "<query>" [-k 5]
 *
 * Options: --data-dir <dir> (default $DATA_DIR or ./data).
 */
import { stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { config as loadDotenv } from 'dotenv';
import pino from 'pino';
import { createKnowledgeBase } from '../compose/create-knowledge-base.js';
import { ConfigError, loadConfig } from '../config/load-config.js';
import { listDocumentFiles } from '../knowledge-base/ingest/list-document-files.js';
import { KbError } from '../knowledge-base/kb-error.js';
import type { AddResult, KnowledgeBase } from '../knowledge-base/knowledge-base.js';
import { DEFAULT_MIN_RELEVANCE } from '../knowledge-base/relevance.js';
import { createLogger } from '../observability/logger.js';
import { describeNativeModuleError, describeSqliteError } from '../startup-messages.js';

const USAGE = `用法:
  npm run kb -- add <文件或目录…>     导入文档（.md .txt .html .pdf .docx，问答 .csv .json .jsonl）
  npm run kb -- list                  列出文档
  npm run kb -- remove <docId|名称>   删除文档
  npm run kb -- search "<问题>" [-k 5] 检索并显示得分
选项: --data-dir <目录>（默认 $DATA_DIR 或 ./data）`;

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    'data-dir': { type: 'string' },
    k: { type: 'string', short: 'k', default: '5' },
    help: { type: 'boolean', short: 'h' },
  },
});
const [command, ...rest] = positionals;
if (opts.help || !command) {
  console.log(USAGE);
  process.exit(command ? 0 : 2);
}

loadDotenv({ quiet: true, path: process.env.ENV_FILE ?? '.env' });
let config;
try {
  config = loadConfig({ ...process.env, ...(opts['data-dir'] ? { DATA_DIR: opts['data-dir'] } : {}) });
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`配置错误 / configuration error: ${error.message}`);
  process.exit(2);
}
// progress and results go to stdout; only warnings from the knowledge base reach stderr
const kb = await createKnowledgeBase(config, createLogger({ level: 'warn', destination: pino.destination(2) }), {
  loadSample: false,
}).catch((error: unknown) => {
  const message = describeNativeModuleError(error) ?? describeSqliteError(error, config.dataDir);
  if (!message) throw error;
  console.error(message);
  return process.exit(1);
});
try {
  switch (command) {
    case 'add':
      process.exitCode = await add(kb, rest);
      break;
    case 'list':
      await list(kb);
      break;
    case 'remove':
    case 'rm':
      if (rest.length === 0) throw new Error('remove 需要文档 id 或名称');
      for (const doc of rest) {
        if (await kb.removeDocument(doc)) {
          console.log(`已删除 ${doc}`);
          continue;
        }
        process.exitCode = 1;
        console.error(`没有找到文档「${doc}」。${await removalHint(kb, doc)}`);
      }
      break;
    case 'search':
      await search(kb, rest.join(' '), Number(opts.k));
      break;
    default:
      console.error(`未知命令 ${command}\n\n${USAGE}`);
      process.exitCode = 2;
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
} finally {
  await kb.close();
}

async function add(kb: KnowledgeBase, paths: string[]): Promise<number> {
  if (paths.length === 0) throw new Error('add 需要至少一个文件或目录');
  const missing = await unreadable(paths);
  if (missing.length > 0) throw new Error(missing.join('\n'));
  const files = await listDocumentFiles(paths);
  const bar = new cliProgress.SingleBar(
    { format: '导入 [{bar}] {value}/{total} {file}', hideCursor: true, clearOnComplete: false },
    cliProgress.Presets.shades_classic,
  );
  bar.start(files.length, 0, { file: '' });
  const counts: Record<AddResult['status'], number> = { added: 0, replaced: 0, unchanged: 0 };
  const failures: string[] = [];
  let chunks = 0;
  for (const { path, name } of files) {
    bar.update({ file: name });
    try {
      const result = await kb.addFile(path, { displayName: name });
      counts[result.status]++;
      chunks += result.status === 'unchanged' ? 0 : result.chunks;
    } catch (error) {
      failures.push(KbError.is(error) ? error.message : `「${name}」导入失败：${(error as Error).message}`);
    }
    bar.increment({ file: name });
  }
  bar.stop();
  console.log(
    `新增 ${counts.added}，替换 ${counts.replaced}，未变 ${counts.unchanged}，失败 ${failures.length}；` +
      `写入 ${chunks} 个片段，知识库共 ${kb.size()} 个片段`,
  );
  for (const f of failures) console.error(`✗ ${f}`);
  return failures.length > 0 ? 1 : 0;
}

async function list(kb: KnowledgeBase): Promise<void> {
  const docs = await kb.listDocuments();
  if (docs.length === 0) {
    console.log('知识库是空的。用 npm run kb -- add <文件或目录> 导入文档。');
    return;
  }
  for (const d of docs) {
    const when = new Date(d.addedAt).toISOString().slice(0, 16).replace('T', ' ');
    console.log(`${d.docId}  ${String(d.chunks).padStart(4)} 片段  ${(d.bytes / 1024).toFixed(1).padStart(7)} KB  ${when}  ${d.name}`);
  }
  console.log(`共 ${docs.length} 个文档，${kb.size()} 个片段`);
}

async function search(kb: KnowledgeBase, query: string, k: number): Promise<void> {
  if (!query.trim()) throw new Error('search 需要一个问题');
  const hits = await kb.search(query, { k: Number.isFinite(k) && k > 0 ? k : 5 });
  if (hits.length === 0) console.log('没有匹配的片段。');
  hits.forEach((h, i) => {
    const where = [h.source, ...h.headingPath].join(' › ');
    const flag = h.relevance >= DEFAULT_MIN_RELEVANCE ? '' : '  (低于相关度阈值)';
    console.log(`\n#${i + 1}  score ${h.score.toFixed(3)}  relevance ${h.relevance.toFixed(2)}${flag}\n    ${where}`);
    console.log(`    ${h.text.replace(/\s*\n\s*/g, ' ').slice(0, 240)}${h.text.length > 240 ? '…' : ''}`);
  });
}

/** Paths that do not exist or cannot be read, as one Chinese line each (no raw ENOENT). */
async function unreadable(paths: string[]): Promise<string[]> {
  const problems: string[] = [];
  for (const path of paths) {
    try {
      await stat(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      problems.push(
        code === 'ENOENT' || code === 'ENOTDIR'
          ? `找不到文件或目录：${path}（当前目录 ${process.cwd()}）`
          : `无法读取 ${path}：${code === 'EACCES' ? '没有权限' : (error as Error).message}`,
      );
    }
  }
  return problems;
}

/** Names are stored as imported (e.g. kb-sample/售后政策.md): an ambiguous short name lists the stored ones. */
async function removalHint(kb: KnowledgeBase, wanted: string): Promise<string> {
  const candidates = await kb.findDocuments(wanted);
  if (candidates.length === 0) return '用 npm run kb -- list 查看已导入的文档（删除时写完整名称或 docId）。';
  const names = candidates.slice(0, 5).map((d) => d.name);
  return `「${wanted}」对应多个文档：${names.join('、')}。删除时写完整名称，例如 npm run kb -- remove "${names[0]}"`;
}
