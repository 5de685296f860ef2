/**
 * Idle memory of the running server, started as `npm start` starts it (`node dist/main.js`),
 * in two configurations:
 *   production, no knowledge base — NODE_ENV=production, KB_LOAD_SAMPLE=false, an empty DATA_DIR
 *                                   (what a customer's bot costs before anyone uploads a document);
 *   development defaults          — `npm start` with no configuration: dev login, offline mode,
 *                                   the bundled sample knowledge base loaded.
 * Method: wait until /wechat/health answers and the RSS has settled, force a full GC in the
 * server (a SIGUSR2 handler preloaded with --expose-gc; the server itself is unchanged), let the
 * RSS settle again and read VmRSS from /proc. Median of --runs starts (default 3).
 *
 *   npm run bench:idle-rss [-- --runs=5]
 */
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnServer } from '../test/support/spawn-server.js';

const RUNS = Number(process.argv.find((a) => a.startsWith('--runs='))?.split('=')[1] ?? 3);

// Preloaded into the server: a full GC on demand, so the figure is live memory, not garbage.
const gcOnSignal = `data:text/javascript,${encodeURIComponent("process.on('SIGUSR2', () => globalThis.gc())")}`;

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

/** Resident set size in MB: /proc on Linux, `ps` elsewhere. */
function rssMb(pid: number): number {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    if (kb) return Number(kb) / 1024;
  } catch {
    // not Linux
  }
  return Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)]).toString().trim()) / 1024;
}

/** Samples every 250 ms until three in a row are within 1 MB of each other. */
async function settledRss(pid: number): Promise<number> {
  const samples = [rssMb(pid)];
  for (let i = 0; i < 120; i++) {
    await sleep(250);
    samples.push(rssMb(pid));
    const last = samples.slice(-3);
    if (last.length === 3 && Math.max(...last) - Math.min(...last) < 1) break;
  }
  return samples.at(-1)!;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

console.log(`idle RSS — node ${process.version}, compiled server (dist/main.js), median of ${RUNS} starts\n`);
for (const [name, env] of Object.entries(configurations)) {
  const before: number[] = [];
  const after: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const server = await spawnServer(env, { nodeArgs: ['--expose-gc', '--import', gcOnSignal] });
    try {
      const pid = server.child.pid!;
      before.push(await settledRss(pid));
      server.child.kill('SIGUSR2');
      after.push(await settledRss(pid));
    } finally {
      await server.stop();
    }
  }
  console.log(`${name.padEnd(46)} ${median(after).toFixed(0).padStart(4)} MB after GC (${median(before).toFixed(0)} MB before)`);
}
