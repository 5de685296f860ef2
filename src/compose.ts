/**
 * The composition root: every adapter built from the validated config, in one place.
 * main.ts, the test harness (test/support/start-gateway.ts) and the knowledge-base CLI all
 * call it, so what the tests start is what production runs. Library code never picks a
 * driver; this file does, once.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { Config } from './config/config-schema.js';
import { createOpenAiCompatibleEmbedder } from './knowledge-base/embed/openai-compatible-embedder.js';
import { openKnowledgeBase, type KnowledgeBase } from './knowledge-base/knowledge-base.js';
import { loadSampleIfEmpty } from './knowledge-base/load-sample-if-empty.js';
import { openSqliteKbStore } from './knowledge-base/store/sqlite-kb-store.js';
import type { ChatModel } from './llm/chat-model.js';
import { OpenAiChatModel, type OpenAiChatModelOptions } from './llm/openai-chat-model.js';
import { createRedisStores } from './store/redis/create-redis-stores.js';
import { createSqliteStores } from './store/sqlite/create-sqlite-stores.js';
import type { StoreBundle } from './store/store-bundle.js';
import { KeywordChecker, readKeywordsFile } from './moderation/keyword-checker.js';
import { DEFAULT_KEYWORDS } from './moderation/default-keywords.js';
import { LayeredContentChecker } from './moderation/layered-checker.js';
import { WechatContentChecker } from './moderation/wechat-content-checker.js';
import { AccessTokenProvider } from './wechat/access-token.js';
import { MemoryTokenCache } from './wechat/memory-token-cache.js';
import { createRedisTokenCache } from './wechat/redis-token-cache.js';
import type { TokenCache } from './wechat/token-cache.js';
import { CollapsingWechatAuth } from './wechat/collapsing-wechat-auth.js';
import { DevWechatAuth } from './wechat/dev-wechat-auth.js';
import { WechatApiAuth } from './wechat/wechat-api-auth.js';
import type { WechatAuth } from './wechat/wechat-auth.js';

/** The sample documents shipped with the project (kb-sample/, beside src/ and dist/). */
export const sampleKnowledgeBaseDir = fileURLToPath(new URL('../kb-sample', import.meta.url));

/** A dependency the gateway cannot start without is missing: main prints one line and exits. */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}

export interface Adapters {
  stores: StoreBundle;
  /** absent = offline mode: answers come from the knowledge base alone */
  model: ChatModel | undefined;
  wechat: WechatAuth;
  /** absent only when the caller asked for none (tests without retrieval) */
  knowledgeBase?: KnowledgeBase;
  /** absent = CONTENT_SECURITY=off; its owner calls close() on shutdown (a Redis connection) */
  contentChecker?: LayeredContentChecker;
}

export interface ComposeOptions {
  /** open the knowledge base (default true) */
  knowledgeBase?: boolean;
  /** tests shorten the model's retry backoff; nothing else differs from production */
  modelTuning?: Partial<OpenAiChatModelOptions>;
}

/**
 * Builds the stores, model, login and knowledge base as configured, and checks the ones that
 * must answer at boot (Redis). Throws StartupError, closing whatever it had opened.
 */
export async function composeAdapters(
  config: Readonly<Config>,
  logger: Logger,
  options: ComposeOptions = {},
): Promise<Adapters> {
  const stores = createStores(config, logger);
  try {
    await stores.history.ping();
  } catch (error) {
    await stores.close();
    throw new StartupError(`${stores.driver === 'redis' ? 'REDIS_URL is set but Redis does not answer' : 'cannot open the SQLite store'}: ${String(error)}`);
  }
  const model = createChatModel(config, options.modelTuning);
  const wechat = createWechatAuth(config, logger);
  let contentChecker: LayeredContentChecker | undefined;
  try {
    contentChecker = createContentChecker(config, logger);
  } catch (error) {
    await stores.close();
    throw error;
  }
  let knowledgeBase: KnowledgeBase | undefined;
  if (options.knowledgeBase ?? true) {
    try {
      knowledgeBase = await createKnowledgeBase(config, logger);
    } catch (error) {
      await Promise.all([stores.close(), contentChecker?.close()]);
      throw error;
    }
  }
  return { stores, model, wechat, knowledgeBase, contentChecker };
}

/** Redis when REDIS_URL is set (shared by every instance), else SQLite under DATA_DIR. */
export function createStores(config: Readonly<Config>, logger: Logger): StoreBundle {
  if (!config.redisUrl) return createSqliteStores(join(config.dataDir, 'gateway.sqlite'));
  // ioredis reports every reconnect attempt (~1/s while Redis is down): log one in ten seconds
  let lastLog = 0;
  const onError = (error: Error) => {
    if (Date.now() - lastLog < 10_000) return;
    lastLog = Date.now();
    logger.warn({ error: error.message }, 'redis unavailable');
  };
  return createRedisStores({ url: config.redisUrl, prefix: config.redisKeyPrefix, onError });
}

/** Any OpenAI-compatible endpoint when LLM_BASE_URL is set, else none (offline mode). */
export function createChatModel(
  config: Readonly<Config>,
  tuning: Partial<OpenAiChatModelOptions> = {},
): ChatModel | undefined {
  if (!config.llm.baseUrl) return undefined;
  return new OpenAiChatModel({
    baseURL: config.llm.baseUrl,
    // local servers (Ollama, vLLM) need no key, but the SDK insists on one
    apiKey: config.llm.apiKey ?? 'not-needed',
    model: config.llm.model,
    timeoutMs: config.llm.timeoutMs,
    maxRetries: config.llm.maxRetries,
    maxTokens: config.llm.maxTokens,
    ...tuning,
  });
}

/**
 * The real code2session with WECHAT_APPID/SECRET, else dev login (loadConfig refuses
 * production without them). Either way one code reaches WeChat once.
 */
export function createWechatAuth(config: Readonly<Config>, logger: Logger): WechatAuth {
  const { appId, appSecret, apiBase, timeoutMs } = config.wechat;
  const inner =
    appId && appSecret ? new WechatApiAuth({ appId, appSecret, apiBase, timeoutMs, logger }) : new DevWechatAuth();
  return new CollapsingWechatAuth(inner);
}

/**
 * Content security as CONTENT_SECURITY says (undefined when off): the keyword list (built-in
 * plus CONTENT_SECURITY_KEYWORDS_FILE) first, then WeChat's msgSecCheck when the AppID and
 * secret are set — keywords alone otherwise (dev mode). The access token is shared through
 * Redis when REDIS_URL is set. Whether questions only or answers too are checked is the chat
 * flow's reading of `config.contentSecurity.mode`.
 */
export function createContentChecker(
  config: Readonly<Config>,
  logger: Logger,
  options: { fetch?: typeof fetch } = {},
): LayeredContentChecker | undefined {
  const { mode, fail, keywordsFile, timeoutMs } = config.contentSecurity;
  if (mode === 'off') return undefined;
  let extra: string[] = [];
  if (keywordsFile) {
    try {
      extra = readKeywordsFile(keywordsFile);
    } catch (error) {
      throw new StartupError(`CONTENT_SECURITY_KEYWORDS_FILE cannot be read: ${String(error)}`);
    }
  }
  const keywords = new KeywordChecker([...DEFAULT_KEYWORDS, ...extra]);
  const { appId, appSecret, apiBase } = config.wechat;
  if (!appId || !appSecret) {
    logger.warn('content security without WECHAT_APPID: the keyword list only, no msgSecCheck');
    return new LayeredContentChecker({ keywords, fail, logger });
  }
  const cache: TokenCache = config.redisUrl
    ? createRedisTokenCache({
        url: config.redisUrl,
        prefix: config.redisKeyPrefix,
        onError: rateLimitedWarn(logger, 'redis unavailable (access token cache)'),
      })
    : new MemoryTokenCache();
  const tokens = new AccessTokenProvider({ appId, appSecret, apiBase, timeoutMs: config.wechat.timeoutMs, cache, logger, fetch: options.fetch });
  const remote = new WechatContentChecker({ tokens, apiBase, timeoutMs, logger, onUserInactive: keywords, fetch: options.fetch });
  return new LayeredContentChecker({ keywords, remote, fail, logger, onClose: () => cache.close() });
}

/** ioredis reports every reconnect attempt (~1/s while Redis is down): log one in ten seconds. */
function rateLimitedWarn(logger: Logger, message: string): (error: Error) => void {
  let lastLog = 0;
  return (error) => {
    if (Date.now() - lastLog < 10_000) return;
    lastLog = Date.now();
    logger.warn({ error: error.message }, message);
  };
}

/**
 * SQLite under DATA_DIR, hybrid retrieval when an embedding endpoint is set, the sample
 * documents on first start when KB_LOAD_SAMPLE allows (off by default in production: a
 * customer's bot must never answer from our own integration guide).
 */
export async function createKnowledgeBase(
  config: Readonly<Config>,
  logger: Logger,
  /** the CLI never loads the samples: a user importing their own documents first never gets ours */
  overrides: { loadSample?: boolean } = {},
): Promise<KnowledgeBase> {
  const { embedding } = config.kb;
  const embedder =
    embedding.baseUrl && embedding.model
      ? createOpenAiCompatibleEmbedder({ baseUrl: embedding.baseUrl, apiKey: embedding.apiKey, model: embedding.model })
      : undefined;
  const store = openSqliteKbStore(join(config.dataDir, 'kb.sqlite'));
  const kb = await openKnowledgeBase({ store, embedder, logger });
  if (overrides.loadSample ?? config.kb.loadSample) {
    const loaded = await loadSampleIfEmpty(kb, sampleKnowledgeBaseDir);
    if (loaded.length > 0) logger.info({ documents: loaded.length, chunks: kb.size() }, 'loaded the sample knowledge base');
  }
  logger.info({ chunks: kb.size(), hybrid: Boolean(embedder) }, 'knowledge base ready');
  return kb;
}
