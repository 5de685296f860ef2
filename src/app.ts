import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import cors from '@fastify/cors';
import type { Logger } from 'pino';
import { SessionService } from './auth/session-service.js';
import type { AnswerRegistry } from './chat/answer-registry/answer-registry.js';
import { ChatService } from './chat/chat-service.js';
import type { ChatMedia } from './chat/chat-media.js';
import { ConcurrencyGate } from './chat/concurrency-gate.js';
import { ConversationService } from './chat/conversation-service.js';
import { FollowUpSuggester } from './chat/suggestions/follow-up-suggester.js';
import type { SuggestionSource } from './chat/suggestions/suggestion-source.js';
import type { Config } from './config/config-schema.js';
import type { ChatModel } from './llm/chat-model.js';
import type { KnowledgeBase } from './knowledge-base/knowledge-base.js';
import type { UsageLimits } from './limits/usage-limits.js';
import type { UploadStore, UploadWriter } from './media/upload-store.js';
import type { ContentChecker } from './moderation/content-checker.js';
import { noMetrics, type GatewayMetrics } from './observability/gateway-metrics.js';
import { requestLoggerFactory } from './observability/bind-logger.js';
import { AppError } from './protocol/error-catalogue.js';
import type { StoreBundle } from './store/store-bundle.js';
import type { AdminStore } from './admin/admin-store.js';
import { adminApiRoutes } from './transport/http/admin-api-routes.js';
import { adminKbRoutes } from './transport/http/admin-kb-routes.js';
import { registerAdminPageRoute } from './transport/http/admin-page-route.js';
import { registerChatRoute } from './transport/http/chat-route.js';
import { registerConsoleRoute } from './transport/http/console-route.js';
import { conversationRoutes } from './transport/http/conversation-routes.js';
import { registerHealthRoute } from './transport/http/health-route.js';
import { registerHttpErrors } from './transport/http/http-errors.js';
import { registerLoginRoute } from './transport/http/login-route.js';
import { registerSpeechRoute } from './transport/http/speech-route.js';
import { createSpeech } from './compose/create-speech.js';
import { createImageCheck } from './compose/create-media-check.js';
import { withAdminMediaFlags, withMediaFlags } from './moderation/media-flagged-history.js';
import { wechatPushRoute } from './transport/http/wechat-push-route.js';
import { registerMediaUrlRoute } from './transport/http/media-url-route.js';
import { metricsRoute } from './transport/http/metrics-route.js';
import { replyError } from './transport/http/reply-error.js';
import { uploadRoute } from './transport/http/upload-route.js';
import { registerWsRoute } from './transport/ws/ws-route.js';
import type { WechatAuth } from './wechat/wechat-auth.js';

export interface AppDeps {
  config: Readonly<Config>;
  logger: Logger;
  stores: StoreBundle;
  /** absent = no model configured (offline mode) */
  model?: ChatModel | undefined;
  wechat: WechatAuth;
  /** retrieval for answers, and the admin knowledge-base API; absent = no RAG */
  knowledgeBase?: KnowledgeBase;
  /** per-user and per-IP limits (compose.ts builds them from config) */
  limits: UsageLimits;
  /** content security for questions and answers; absent = nothing is checked */
  contentChecker?: ContentChecker | undefined;
  /**
   * How the chat uses `contentChecker`; default from CONTENT_SECURITY (input = questions only,
   * both = answers too) and CONTENT_SECURITY_FAIL (open = let text through when the checker fails).
   */
  contentSecurity?: { mode: 'input' | 'both'; failOpen: boolean };
  /** what /metrics reports (compose builds it from METRICS_*); default: nothing */
  metrics?: GatewayMetrics;
  /** answers in flight (compose: Redis with REDIS_URL); default: this process only. Closed on shutdown. */
  answers?: AnswerRegistry;
  /** photo and voice questions; absent = `images` / `audio` are refused with a clear error */
  media?: ChatMedia;
  /** photo and voice uploads (POST /wechat/upload); absent = no upload route. Closed on shutdown. */
  uploads?: UploadStore & UploadWriter;
  /** follow-up question sources (compose: SUGGESTIONS=on), tried in order; absent = no suggestions */
  suggestions?: SuggestionSource[] | undefined;
  /** the operators' read model behind /admin/api (with ADMIN_TOKEN); closed on shutdown */
  admin?: AdminStore | undefined;
}

export interface App {
  fastify: FastifyInstance;
  chat: ChatService;
  sessions: SessionService;
  /**
   * The METRICS_PORT listener (only /metrics), when that port is set: the caller listens on it
   * at `config.host`, as it does on the main server. shutdown() closes it.
   */
  metricsServer?: FastifyInstance;
  /**
   * Graceful stop: refuse new sockets, let answers in flight finish until the grace period
   * ends (then cancel them, storing the partial text), close sockets with 1001, close the
   * server and the stores. Idempotent.
   */
  shutdown(): Promise<void>;
}

/** Wires the modules together. Tests call it with fakes and a port-0 listen. */
export async function createApp(deps: AppDeps): Promise<App> {
  const { config, logger, stores, model, wechat, knowledgeBase, limits, contentChecker } = deps;
  const metrics = deps.metrics ?? noMetrics;
  const fastify = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // every request's logger (reqId) without pino's per-child redaction pass (bind-logger.ts)
    childLoggerFactory: (parent, bindings, options) => requestLoggerFactory(parent as Logger, bindings, options) as FastifyBaseLogger,
    trustProxy: config.trustProxy,
    bodyLimit: config.http.maxBodyBytes,
    // Slowloris: a request's headers, then its whole body, must arrive in time. Node checks
    // these every connectionsCheckingInterval. Neither bounds the response, so a long (streamed)
    // answer is never cut; there is no idle-socket timeout for the same reason.
    requestTimeout: config.http.requestTimeoutMs,
    http: {
      headersTimeout: Math.min(config.http.headersTimeoutMs, config.http.requestTimeoutMs),
      connectionsCheckingInterval: Math.min(1_000, config.http.headersTimeoutMs),
    },
  });

  // image content security (WeChat mediaCheckAsync): absent unless configured; its flags overlay every history read
  const imageCheck = deps.uploads ? await createImageCheck(config, deps.uploads, logger) : undefined;
  if (imageCheck && deps.media) deps.media.watchImages((openid, answerId, ids) => void imageCheck.mediaCheck.imagesAsked(openid, answerId, ids));
  const history = imageCheck ? withMediaFlags(stores.history, imageCheck.mediaCheck) : stores.history;

  const sessions = new SessionService(stores.sessions, wechat, { ttlMs: config.session.ttlSeconds * 1000 });
  const gate = new ConcurrencyGate(config.llm.maxConcurrency, config.llm.queueSize);
  const moderation = contentChecker && {
    checker: contentChecker,
    ...(deps.contentSecurity ?? {
      mode: config.contentSecurity.mode === 'input' ? ('input' as const) : ('both' as const),
      failOpen: config.contentSecurity.fail === 'open',
    }),
  };
  // follow-up questions: after the answer, on a free model slot only, checked like answers
  const suggester = deps.suggestions?.length
    ? new FollowUpSuggester({ sources: deps.suggestions, timeoutMs: config.suggestions.timeoutMs, logger, slots: gate, moderation })
    : undefined;
  const chat = new ChatService({
    history,
    model,
    retriever: knowledgeBase,
    gate,
    logger,
    metrics,
    registry: deps.answers,
    promptTurns: deps.media && ((openid, turns) => deps.media!.promptTurns(openid, turns)),
    moderation,
    // off: settled at once, so a socket waiting for suggestions lets go of them right away
    afterAnswer: suggester ? (finished) => void suggester.afterAnswer(finished) : (finished) => finished.run.followUps.offer([]),
    options: {
      systemPrompt: config.llm.systemPrompt,
      historyTurns: config.chat.historyTurns,
      maxQueryChars: config.chat.maxQueryChars,
      streamCoalesceMs: config.chat.streamCoalesceMs,
      queueTimeoutMs: config.llm.queueTimeoutMs,
      rag: { topK: config.kb.topK, minRelevance: config.kb.minRelevance },
    },
  });

  const conversations = new ConversationService({ history, feedback: stores.feedback, answers: chat });

  await fastify.register(cors, {
    origin: config.corsOrigins === '*' ? true : config.corsOrigins.split(',').map((o) => o.trim()),
  });
  registerHttpErrors(fastify, logger);

  /** true once shutdown began: health answers 503, new chats are refused, answers finish */
  let draining = false;
  fastify.addHook('onRequest', async (request, reply) => {
    if (draining && request.method === 'POST') return replyError(reply, new AppError('shutting_down'));
  });

  const ws = await registerWsRoute(fastify, {
    sessions,
    chat,
    conversations,
    logger,
    maxFrameBytes: config.ws.maxFrameBytes,
    compression: config.ws.compression,
    maxConnectionsPerIp: config.ws.maxConnectionsPerIp,
    usageLimits: limits,
    metrics,
    media: deps.media,
    maxUnauthenticated: config.ws.maxUnauthenticated,
    limits: {
      maxMessagesPerSecond: config.ws.maxMessagesPerSecond,
      maxBufferedBytes: config.ws.maxBufferedBytes,
      maxTotalBufferedBytes: config.ws.maxTotalBufferedBytes,
      loginTimeoutMs: config.ws.loginTimeoutMs,
      idleTimeoutMs: config.ws.idleTimeoutMs,
      detachGraceMs: config.chat.detachGraceMs,
      historyLimit: config.chat.historyTurns * 2,
    },
  });
  registerLoginRoute(fastify, sessions, limits, metrics);
  registerChatRoute(fastify, { sessions, chat, limits, trustBareOpenid: config.env !== 'production', media: deps.media });
  await fastify.register(conversationRoutes, {
    sessions,
    conversations,
    historyLimit: config.chat.historyTurns * 2,
    trustBareOpenid: config.env !== 'production',
  });
  // spoken answers: absent without TTS_BASE_URL (the routes then answer 501)
  const speech = await createSpeech(config, { findAnswer: async (openid, id) => (await history.findMessage(openid, id))?.message, limits, logger });
  registerSpeechRoute(fastify, { sessions, speech });
  registerHealthRoute(fastify, {
    pingStore: () => stores.history.ping(),
    storeDriver: stores.driver,
    llm: { online: model !== undefined, model: model?.name ?? 'offline' },
    wechatMode: wechat.mode,
    connections: () => ws.connectionCount,
    activeAnswers: () => chat.activeCount,
    draining: () => draining,
  });

  if (deps.uploads) {
    const { maxImageBytes, maxAudioBytes, maxAudioSeconds } = config.uploads;
    await fastify.register(uploadRoute, { sessions, limits, uploads: deps.uploads, uploadLimits: { maxImageBytes, maxAudioBytes, maxAudioSeconds }, metrics });
  }
  if (imageCheck && deps.uploads) {
    registerMediaUrlRoute(fastify, { uploads: deps.uploads, verify: imageCheck.verify });
    await fastify.register(wechatPushRoute, { token: imageCheck.pushToken, mediaCheck: imageCheck.mediaCheck, logger: logger.child({ module: 'wechat-push' }) });
  }
  if (knowledgeBase) await fastify.register(adminKbRoutes, { kb: knowledgeBase, adminToken: config.adminToken });
  if (deps.admin) {
    const store = imageCheck ? withAdminMediaFlags(deps.admin, imageCheck.mediaCheck) : deps.admin;
    await fastify.register(adminApiRoutes, { store, adminToken: config.adminToken });
  }
  if (config.consoleEnabled) await registerConsoleRoute(fastify);
  await registerAdminPageRoute(fastify, { adminToken: config.adminToken });

  metrics.watch({ openSockets: () => ws.connectionCount, queuedChats: () => gate.queuedCount, activeChats: () => chat.activeCount, sqliteWalBytes: stores.walBytes });
  // /metrics: on its own port when METRICS_PORT is set (the main port then 404s it), else on
  // the main port only behind METRICS_TOKEN — never open on the port the public reaches.
  let metricsServer: FastifyInstance | undefined;
  if (config.metrics.port !== undefined) {
    metricsServer = Fastify({ loggerInstance: logger.child({ listener: 'metrics' }) as FastifyBaseLogger });
    await metricsServer.register(metricsRoute, { metrics, token: config.metrics.token });
  } else if (config.metrics.token) {
    await fastify.register(metricsRoute, { metrics, token: config.metrics.token });
  }

  let stopping: Promise<void> | undefined;
  const shutdown = () =>
    (stopping ??= (async () => {
      logger.info({ graceMs: config.shutdownGraceMs }, 'shutting down');
      draining = true;
      ws.stopAccepting();
      const drainedBy = Date.now() + config.shutdownGraceMs;
      await chat.drain(config.shutdownGraceMs);
      ws.closeAll();
      await deps.answers?.close();
      await closeWithin(fastify, drainedBy - Date.now());
      await metricsServer?.close();
      await deps.admin?.close();
      await stores.close();
      await limits.close();
      await knowledgeBase?.close();
      await contentChecker?.close?.();
      await deps.uploads?.close();
      await speech?.close();
      await imageCheck?.close();
      logger.info('stopped');
    })());

  return { fastify, chat, sessions, metricsServer, shutdown };
}

/**
 * Stops the HTTP server, cutting what is still open once the grace period is over (at least a
 * second): a download whose client stopped reading (a paused audio player, a stalled export)
 * would otherwise hold the process up for as long as that client likes.
 */
async function closeWithin(fastify: FastifyInstance, graceMs: number): Promise<void> {
  const timer = setTimeout(() => fastify.server.closeAllConnections(), Math.max(1_000, graceMs));
  try {
    await fastify.close();
  } finally {
    clearTimeout(timer);
  }
}
