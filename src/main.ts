/**
 * The composition root and the only file that reads process.env: load config → build
 * adapters → createApp → listen → stop cleanly on SIGTERM/SIGINT.
 */
import { join } from 'node:path';
import { config as loadDotenv } from 'dotenv';
import { createApp } from './app.js';
import { ConfigError, loadConfig } from './config/load-config.js';
import { createChatModel } from './llm/create-chat-model.js';
import { createLogger } from './observability/logger.js';
import { createKnowledgeBase } from './knowledge-base/create-knowledge-base.js';
import { createRedisStores } from './store/redis/create-redis-stores.js';
import { createSqliteStores } from './store/sqlite/create-sqlite-stores.js';
import type { StoreBundle } from './store/store-bundle.js';
import { createWechatAuth } from './wechat/create-wechat-auth.js';

// ENV_FILE picks another file (or none, e.g. /dev/null); real environment variables win over it.
loadDotenv({ quiet: true, path: process.env.ENV_FILE ?? '.env' });

let config;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`配置错误 / configuration error: ${error.message}`);
  process.exit(1);
}

const logger = createLogger({ level: config.logLevel });

let stores: StoreBundle;
if (config.redisUrl) {
  // ioredis reports every reconnect attempt (~1/s while Redis is down): log one in ten seconds
  let lastRedisLog = 0;
  const onError = (error: Error) => {
    if (Date.now() - lastRedisLog < 10_000) return;
    lastRedisLog = Date.now();
    logger.warn({ error: error.message }, 'redis unavailable');
  };
  stores = createRedisStores({ url: config.redisUrl, onError });
  try {
    await stores.history.ping();
  } catch (error) {
    logger.fatal({ error: String(error) }, 'REDIS_URL is set but Redis does not answer');
    process.exit(1);
  }
} else {
  stores = createSqliteStores(join(config.dataDir, 'gateway.sqlite'));
}

const model = createChatModel(config);
if (!model) logger.warn('LLM_BASE_URL is not set: offline mode, answers come without a model');

const wechat = createWechatAuth(config, logger);
if (wechat.mode === 'dev') {
  logger.warn(
    '!!! WECHAT_APPID is not set: DEV LOGIN is on — any code logs in as a user derived from it. ' +
      'Never expose this server publicly; set WECHAT_APPID and WECHAT_APP_SECRET (required with NODE_ENV=production).',
  );
}

const knowledgeBase = await createKnowledgeBase(config, logger);
const app = await createApp({ config, logger, stores, model, wechat, knowledgeBase });

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    logger.info({ signal }, 'signal received');
    app.shutdown().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ error: String(error) }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}
process.on('unhandledRejection', (reason) => {
  logger.error({ reason: String(reason) }, 'unhandled rejection');
});

await app.fastify.listen({ host: config.host, port: config.port });
logger.info(
  { store: stores.driver, llm: model?.name ?? 'offline', login: wechat.mode },
  `wechat-ai-gateway listening on http://${config.host}:${config.port} (WebSocket: /wechat/ws)`,
);
