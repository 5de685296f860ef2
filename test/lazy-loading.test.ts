import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnServer } from './support/spawn-server.js';

/**
 * Preloaded into the compiled server: every module it loads is appended to `file` — ESM
 * through a loader hook (imports, including CommonJS packages imported from our ESM code), and
 * CommonJS through Module._load (require() calls such as the tokenizer's jieba).
 */
function recordModules(file: string): string[] {
  const hooks =
    "import { appendFileSync } from 'node:fs';" +
    `export async function load(url, context, next) { appendFileSync(${JSON.stringify(file)}, url + '\\n'); return next(url, context); }`;
  const preload =
    "import Module, { register } from 'node:module'; import { appendFileSync } from 'node:fs';" +
    `register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});` +
    'const load = Module._load;' +
    'Module._load = function (request, parent, isMain) {' +
    `  try { appendFileSync(${JSON.stringify(file)}, Module._resolveFilename(request, parent, isMain) + '\\n'); } catch {}` +
    '  return load.apply(this, arguments); };';
  return ['--import', `data:text/javascript,${encodeURIComponent(preload)}`];
}

/** Starts the compiled server with `env`, waits until it answers, stops it; the packages it loaded. */
async function packagesLoadedAtStart(env: Record<string, string>): Promise<Set<string>> {
  const dir = mkdtempSync(join(tmpdir(), 'wag-lazy-'));
  const file = join(dir, 'modules.txt');
  try {
    const server = await spawnServer({ LOG_LEVEL: 'warn', ...env }, { nodeArgs: recordModules(file) });
    await server.stop();
    const names = readFileSync(file, 'utf8')
      .split('\n')
      .map((line) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(line)?.[1])
      .filter((name): name is string => name !== undefined);
    return new Set(names);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What an idle production start without a model, a knowledge base or the console never needs. */
const HEAVY = ['openai', 'ioredis', '@fastify/static', 'mammoth', 'pdf-parse', '@node-rs/jieba', 'cli-progress', 'pino-pretty', 'sharp', 'silk-wasm'];

describe('lazy loading: start-up loads only what the configuration uses', () => {
  it('production with no model, no knowledge-base documents, no Redis and no console loads none of the heavy packages', async () => {
    const loaded = await packagesLoadedAtStart({
      NODE_ENV: 'production',
      WECHAT_APPID: 'wx_lazy_loading',
      WECHAT_APP_SECRET: 'lazy-loading',
      KB_LOAD_SAMPLE: 'false',
    });
    assert.deepEqual(HEAVY.filter((name) => loaded.has(name)), []);
    // Everything else every start needs is inside the bundle (dist/main.js, scripts/build.mjs):
    // only the native SQLite driver, and what it loads its addon with, comes from node_modules.
    assert.deepEqual([...loaded].sort(), ['better-sqlite3', 'bindings', 'file-uri-to-path']);
  });

  it('a model endpoint, the console and Redis load their packages at start (the model is streamed without the openai SDK)', async () => {
    const loaded = await packagesLoadedAtStart({
      LLM_BASE_URL: 'http://127.0.0.1:9/v1',
      CONSOLE_ENABLED: 'true',
      KB_LOAD_SAMPLE: 'false',
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: `wag-lazy-${process.pid}:`,
    });
    for (const name of ['@fastify/static', 'ioredis']) assert.ok(loaded.has(name), `${name} not loaded`);
    // the default LLM_HTTP_CLIENT=http streams over node:http; the SDK loads only with LLM_HTTP_CLIENT=sdk
    assert.ok(!loaded.has('openai'), 'openai loaded');
  });
});
