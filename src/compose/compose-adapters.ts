/**
 * The composition root: every adapter built from the validated config, in one place (this
 * folder: one `create-*` file per capability). serve.ts, the test harness
 * (test/support/start-gateway.ts) and the knowledge-base CLI all call it, so what the tests
 * start is what production runs. Library code never picks a driver; this folder does, once.
 */
import type { Logger } from 'pino';
import type { AdminStore } from '../admin/admin-store.js';
import type { AnswerRegistry } from '../chat/answer-registry/answer-registry.js';
import type { SuggestionSource } from '../chat/suggestions/suggestion-source.js';
import type { Config } from '../config/config-schema.js';
import type { KnowledgeBase } from '../knowledge-base/knowledge-base.js';
import type { UsageLimits } from '../limits/usage-limits.js';
import type { ChatModel } from '../llm/chat-model.js';
import type { OpenAiChatModelOptions } from '../llm/openai-chat-model.js';
import type { UploadStore, UploadWriter } from '../media/upload-store.js';
import type { LayeredContentChecker } from '../moderation/layered-checker.js';
import type { GatewayMetrics } from '../observability/gateway-metrics.js';
import type { StoreBundle } from '../store/store-bundle.js';
import type { WechatAuth } from '../wechat/wechat-auth.js';
import { createAdminStore } from './create-admin-store.js';
import { createAnswerRegistry } from './create-answer-registry.js';
import type { ChatMedia } from '../chat/chat-media.js';
import { createChatMedia } from './create-chat-media.js';
import { createChatModel } from './create-chat-model.js';
import { createContentChecker } from './create-content-checker.js';
import { createKnowledgeBase } from './create-knowledge-base.js';
import { createLimits } from './create-limits.js';
import { createMetrics } from './create-metrics.js';
import { createStores } from './create-stores.js';
import { createUploadStore } from './create-upload-store.js';
import { createSuggestionSources } from './create-suggestion-sources.js';
import { createWechatAuth } from './create-wechat-auth.js';
import { StartupError } from './startup-error.js';

export interface Adapters {
  stores: StoreBundle;
  /** absent = offline mode: answers come from the knowledge base alone */
  model: ChatModel | undefined;
  wechat: WechatAuth;
  /** absent only when the caller asked for none (tests without retrieval) */
  knowledgeBase?: KnowledgeBase;
  /** chats, tokens, logins and connections per user / IP */
  limits: UsageLimits;
  /** absent = CONTENT_SECURITY=off; its owner calls close() on shutdown (a Redis connection) */
  contentChecker?: LayeredContentChecker;
  /** Prometheus metrics (one registry per call), or hooks that do nothing when metrics are off */
  metrics: GatewayMetrics;
  /** answers in flight: shared over Redis with REDIS_URL, else this process's */
  answers: AnswerRegistry;
  /** photo and voice questions (uploads, transcription, image sizing) */
  media: ChatMedia;
  /** photo and voice uploads: files under UPLOAD_DIR, records in Redis or SQLite; closed on shutdown */
  uploads: UploadStore & UploadWriter;
  /** SUGGESTIONS=on: where follow-up questions come from, tried in order; absent = off */
  suggestions?: SuggestionSource[];
  /** the operators' read model (/admin/api): only with ADMIN_TOKEN */
  admin?: AdminStore;
}

export interface ComposeOptions {
  /** open the knowledge base (default true) */
  knowledgeBase?: boolean;
  /** tests shorten the model's retry backoff; nothing else differs from production */
  modelTuning?: Partial<OpenAiChatModelOptions>;
  /** tests move the limits' clock past a window instead of sleeping */
  limitsClock?: () => number;
  /** tests move uploads past their expiry instead of sleeping */
  uploadsClock?: () => number;
}

/**
 * Builds the stores, model, login, limits, content security and knowledge base as
 * configured, and checks the ones that must answer at boot (Redis). Throws StartupError,
 * closing whatever it had opened.
 */
export async function composeAdapters(
  config: Readonly<Config>,
  logger: Logger,
  options: ComposeOptions = {},
): Promise<Adapters> {
  const opened: Array<{ close(): Promise<void> | void }> = [];
  const closeOpened = () => Promise.all(opened.map((thing) => thing.close()));
  try {
    const metrics = await createMetrics(config);
    const stores = await createStores(config, logger, metrics);
    opened.push(stores);
    try {
      await stores.history.ping();
    } catch (error) {
      const what = stores.driver === 'redis' ? 'REDIS_URL is set but Redis does not answer' : 'cannot open the SQLite store';
      throw new StartupError(`${what}: ${String(error)}`);
    }
    let limits: UsageLimits;
    try {
      limits = await createLimits(config, logger, options.limitsClock, metrics);
    } catch (error) {
      throw new StartupError(`REDIS_URL is set but Redis does not answer (rate limiter): ${String(error)}`);
    }
    opened.push(limits);
    let answers: AnswerRegistry;
    try {
      answers = await createAnswerRegistry(config, logger, metrics);
    } catch (error) {
      throw new StartupError(`REDIS_URL is set but Redis does not answer (answers in flight): ${String(error)}`);
    }
    opened.push(answers);
    let uploads: UploadStore & UploadWriter;
    try {
      uploads = await createUploadStore(config, logger, metrics, options.uploadsClock);
    } catch (error) {
      throw new StartupError(`cannot open the upload directory or its records: ${String(error)}`);
    }
    opened.push(uploads);
    const contentChecker = createContentChecker(config, logger, { metrics });
    if (contentChecker) opened.push(contentChecker);
    const knowledgeBase = (options.knowledgeBase ?? true) ? await createKnowledgeBase(config, logger) : undefined;
    const model = await createChatModel(config, options.modelTuning);
    const wechat = createWechatAuth(config, logger);
    const suggestions = await createSuggestionSources(config, model, knowledgeBase, options.modelTuning);
    const media = await createChatMedia(config, logger, uploads);
    const admin = await createAdminStore(config, logger);
    return { stores, model, wechat, knowledgeBase, limits, contentChecker, metrics, answers, uploads, suggestions, media, admin };
  } catch (error) {
    await closeOpened();
    throw error;
  }
}
