import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { createApp, type App } from '../../src/app.js';
import { composeAdapters, type Adapters } from '../../src/compose/compose-adapters.js';
import { loadConfig } from '../../src/config/load-config.js';
import type { KnowledgeBase } from '../../src/knowledge-base/knowledge-base.js';
import type { UploadStore } from '../../src/media/upload-store.js';
import type { ContentChecker } from '../../src/moderation/content-checker.js';
import { createLogger } from '../../src/observability/logger.js';
import type { StoreBundle } from '../../src/store/store-bundle.js';
import type { FakeLlmServer } from './fake-llm-server.js';
import type { FakeWechatServer } from './fake-wechat-server.js';

export interface GatewayOptions {
  /** env-style overrides, exactly as an operator would set them */
  env?: Record<string, string>;
  /** real WeChat login against this fake; dev login when absent */
  wechat?: FakeWechatServer;
  /** online model against this fake; offline mode when absent */
  llm?: FakeLlmServer;
  /** 'sqlite' (default, in `dataDir`) or a Redis key prefix (on 127.0.0.1:6379 unless `url`) */
  store?: 'sqlite' | { redisPrefix: string; url?: string };
  /** reuse a data dir (restart tests); a fresh temp dir otherwise */
  dataDir?: string;
  /** open the knowledge base (as serve.ts does; KB_LOAD_SAMPLE decides on the sample docs) and add these files */
  knowledgeBase?: boolean | { files: Record<string, string> };
  /** the rate limits' clock: tests step past a window instead of sleeping */
  limitsClock?: () => number;
  /** the uploads' clock: tests step past an upload's expiry instead of sleeping */
  uploadsClock?: () => number;
  /** content security with this checker (e.g. test/support/word-checker.ts), instead of the one CONTENT_SECURITY would build */
  contentChecker?: ContentChecker;
  contentSecurity?: { mode: 'input' | 'both'; failOpen: boolean };
  /** where photo and voice questions read uploads */
  uploads?: UploadStore;
}

export interface RunningGateway {
  app: App;
  stores: StoreBundle;
  knowledgeBase?: KnowledgeBase;
  /** the upload store the app reads and writes (tests check what was stored) */
  uploads: Adapters['uploads'];
  /** http://127.0.0.1:PORT */
  url: string;
  wsUrl: string;
  dataDir: string;
  /** every log line written so far (JSON text) */
  logs: string[];
  /** shuts the app down; removes the temp data dir unless it was given */
  stop(): Promise<void>;
}

/** Starts the real app on 127.0.0.1:0 with real adapters, as serve.ts wires them. */
export async function startGateway(options: GatewayOptions = {}): Promise<RunningGateway> {
  const ownDir = !options.dataDir;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'wag-test-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'debug',
    DATA_DIR: dataDir,
    ...(options.wechat
      ? { WECHAT_APPID: options.wechat.appId, WECHAT_APP_SECRET: options.wechat.appSecret, WECHAT_API_BASE: options.wechat.url }
      : {}),
    ...(options.llm ? { LLM_BASE_URL: options.llm.baseUrl, LLM_API_KEY: 'test-key' } : {}),
    ...(options.store && options.store !== 'sqlite'
      ? { REDIS_URL: options.store.url ?? 'redis://127.0.0.1:6379', REDIS_KEY_PREFIX: options.store.redisPrefix }
      : {}),
    ...options.env,
  });
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      logs.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const logger = createLogger({ level: config.logLevel, destination });
  // serve.ts's wiring; only the model's retry backoff is shortened so fault tests stay fast
  const adapters = await composeAdapters(config, logger, {
    knowledgeBase: Boolean(options.knowledgeBase),
    modelTuning: { retryBaseDelayMs: 20 },
    limitsClock: options.limitsClock,
    uploadsClock: options.uploadsClock,
  });
  const { stores, knowledgeBase } = adapters;
  if (knowledgeBase && typeof options.knowledgeBase === 'object') {
    for (const [name, text] of Object.entries(options.knowledgeBase.files)) await knowledgeBase.addBuffer(name, Buffer.from(text));
  }
  const contentChecker = options.contentChecker ?? adapters.contentChecker;
  const app = await createApp({ config, logger, ...adapters, contentChecker, contentSecurity: options.contentSecurity });
  await app.fastify.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.fastify.server.address() as AddressInfo;
  return {
    app,
    stores,
    knowledgeBase,
    uploads: adapters.uploads,
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/wechat/ws`,
    dataDir,
    logs,
    async stop() {
      await app.shutdown();
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
