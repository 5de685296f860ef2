/**
 * Idle memory of the running server, started as `npm start` starts it (`node dist/main.js`),
 * in two configurations:
 *   production, no knowledge base — NODE_ENV=production, KB_LOAD_SAMPLE=false, an empty DATA_DIR
 *                                   (what a customer's bot costs before anyone uploads a document);
 *   development defaults          — `npm start` with no configuration: dev login, offline mode,
 *                                   the bundled sample knowledge base loaded.
 * Method: wait until /wechat/health answers and the RSS has settled, force a full GC in the
 * server (a SIGUSR2 handler preloaded with --expose-gc; the server itself is unchanged), let the
 * RSS settle again and read VmRSS from /proc (and the heap the server reports after that GC).
 * Median of --runs starts (default 3).
 *
 *   npm run bench:idle-rss [-- --runs=5]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnServer } from '../test/support/spawn-server.js';
import { gcOnSignal, median, settledRss } from './process-rss.js';

const RUNS = Number(process.argv.find((a) => a.startsWith('--runs='))?.split('=')[1] ?? 3);

const configurations: Record<string, Record<string, string>> = {
  'production, no knowledge base': {
    NODE_ENV: 'production',
    // production refuses to start without them; no WeChat call happens while idle
    WECHAT_APPID: 'wx_idle_rss_bench',
    WECHAT_APP_SECRET: 'idle-rss-bench',
    KB_LOAD_SAMPLE: 'false',
    LOG_LEVEL: 'warn',
  },
  'development defaults (sample knowledge base)': { LOG_LEVEL: 'warn' },
};

const scratch = mkdtempSync(join(tmpdir(), 'wag-idle-rss-'));
console.log(`idle RSS — node ${process.version}, compiled server (dist/main.js), median of ${RUNS} starts\n`);
for (const [name, env] of Object.entries(configurations)) {
  const before: number[] = [];
  const after: number[] = [];
  const heap: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const server = await spawnServer(env, { nodeArgs: ['--expose-gc', '--import', gcOnSignal(join(scratch, 'memory.json'))] });
    try {
      const pid = server.child.pid!;
      before.push(await settledRss(pid));
      server.child.kill('SIGUSR2');
      after.push(await settledRss(pid));
      heap.push((JSON.parse(readFileSync(join(scratch, 'memory.json'), 'utf8')) as NodeJS.MemoryUsage).heapUsed / 2 ** 20);
    } finally {
      await server.stop();
    }
  }
  console.log(`${name.padEnd(46)} ${median(after).toFixed(0).padStart(4)} MB after GC (${median(before).toFixed(0)} MB before; JS heap ${median(heap).toFixed(0)} MB)`);
}
rmSync(scratch, { recursive: true, force: true });
