import { z } from 'zod';
import { parseRedisUrl } from '../store/redis/parse-redis-url.js';
import { GC_MODES } from '../runtime/gc-mode.js';

/**
 * Every setting of the gateway, with its default and unit. Environment variable names are in
 * `env-table.ts`; `.env.example` documents the same list for operators.
 */

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const optionalText = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();
const url = z.url({ protocol: /^(https?|redis|rediss)$/ });
/** unset and "" both mean "not configured" */
const optionalUrl = optionalText.pipe(url.optional());

/** ASR_CONVERT_FORMATS short names → the MIME types uploads are stored with. */
const AUDIO_FORMAT_MIME: Record<string, string> = {
  amr: 'audio/amr',
  mp3: 'audio/mpeg',
  aac: 'audio/aac',
  m4a: 'audio/mp4',
  wav: 'audio/wav',
  ogg: 'audio/ogg',
  webm: 'audio/webm',
  silk: 'audio/silk',
};

export const DEFAULT_SYSTEM_PROMPT =
  '你是一个乐于助人的 AI 助手，在微信小程序中回答用户的问题。回答要准确、简洁，使用简体中文，必要时使用 Markdown。';

export const configSchema = z.object({
  env: z.enum(['development', 'production', 'test']).default('development'),
  host: z.string().default('0.0.0.0'),
  port: int(0, 65535).default(8000),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** json (one object a line, for collectors) or pretty (coloured lines for a terminal); unset = pretty on a development terminal */
  logFormat: z.enum(['json', 'pretty']).optional(),
  /** honour X-Forwarded-For (behind nginx); off by default so clients cannot spoof their IP */
  trustProxy: z.stringbool().default(false),
  /** comma-separated origins, or "*" */
  corsOrigins: z.string().default('*'),
  /** serve the browser console at /console (it uses only the public protocol); unset = on except in production */
  consoleEnabled: z.stringbool().optional(),
  /** bearer token for /admin routes; admin routes are off when unset */
  adminToken: optionalText,
  /**
   * Prometheus /metrics. Off unless one of these is set. METRICS_TOKEN: /metrics needs
   * `Authorization: Bearer <token>` (served on the main port when METRICS_PORT is unset).
   * METRICS_PORT: /metrics moves to this port on HOST, and the main port no longer serves it;
   * without a token that port is open to anyone who can reach it (keep it off the internet).
   */
  metrics: z.object({
    token: optionalText,
    /** 0 = any free port (tests) */
    port: int(0, 65535).optional(),
  }),
  dataDir: z.string().default('./data'),
  /**
   * redis://, rediss:// (TLS), redis+sentinel://h1:26379,h2:26379/mymaster or
   * redis+cluster://h1:7000,h2:7001 (src/store/redis/parse-redis-url.ts); unset = SQLite, one process
   */
  redisUrl: optionalText.pipe(
    z
      .string()
      .superRefine((value, ctx) => {
        try {
          parseRedisUrl(value);
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
        }
      })
      .optional(),
  ),
  /**
   * prepended to every Redis key, so several deployments can share one Redis; no braces: in a
   * cluster the first {…} of a key is its hash tag
   */
  redisKeyPrefix: z.string().min(1).max(100).regex(/^[^{}]*$/, 'must not contain { or }').default('wag:'),
  /** newest messages kept per conversation in Redis; older ones are dropped (the prompt uses at most 2 × HISTORY_TURNS + 1) */
  redisHistoryMaxMessages: int(10, 100_000).default(200),
  /** days a conversation stays in Redis after its last message or after it was cleared; 0 = forever */
  redisHistoryTtlDays: int(0, 36_500).default(30),
  /**
   * worker processes on this machine (node:cluster) sharing PORT; 1 = one process (no cluster),
   * auto = one per CPU. More than one requires REDIS_URL: workers share state only through Redis.
   */
  workers: z.union([z.literal('auto'), int(1, 1_024)]).default(1),
  /**
   * V8's garbage collector: auto = on the main thread only (`--single-threaded-gc`) when this
   * process may use one CPU, else with helper threads; single / parallel force one (src/runtime/gc-mode.ts).
   */
  gcMode: z.enum(GC_MODES).default('auto'),

  wechat: z.object({
    appId: optionalText,
    appSecret: optionalText,
    apiBase: url.default('https://api.weixin.qq.com'),
    /** code2session deadline, ms */
    timeoutMs: int(100, 60_000).default(5_000),
  }),

  llm: z.object({
    baseUrl: optionalUrl,
    apiKey: optionalText,
    model: z.string().default('deepseek-chat'),
    systemPrompt: z.string().default(DEFAULT_SYSTEM_PROMPT),
    /** whole-answer deadline, ms */
    timeoutMs: int(1_000, 600_000).default(60_000),
    maxRetries: int(0, 10).default(2),
    maxTokens: int(1, 1_000_000).optional(),
    /** answers generated at once, process-wide */
    maxConcurrency: int(1, 10_000).default(32),
    /** chats waiting for a slot before new ones get 503 */
    queueSize: int(0, 100_000).default(100),
    /** longest wait in that queue, ms */
    queueTimeoutMs: int(100, 600_000).default(30_000),
    /**
     * how streamed answers are fetched: http = the gateway's lean node:http client (about half the
     * CPU per token); sdk = the official `openai` SDK, as a fallback should a service need it
     */
    httpClient: z.enum(['http', 'sdk']).default('http'),
  }),

  /** photo questions (docs/media.md): the model that reads images, and how big an image may be */
  vision: z.object({
    /** unset = LLM_MODEL (the chat model must then read images, e.g. qwen-vl-max, glm-4v-plus) */
    model: optionalText,
    /** its own OpenAI-compatible endpoint; unset = LLM_BASE_URL with LLM_API_KEY */
    baseUrl: optionalUrl,
    /** key for VISION_BASE_URL (unused without it) */
    apiKey: optionalText,
    /** images one question may carry */
    maxImagesPerChat: int(1, 16).default(4),
    /** larger images are re-encoded (JPEG, lower quality, then smaller) until they fit, bytes */
    maxImageBytes: int(64 * 1024, 50 * 1024 * 1024).default(4 * 1024 * 1024),
    /** longer sides are scaled down to this, px */
    maxImageSide: int(256, 8_192).default(1_568),
  }).prefault({}),

  /** voice questions (docs/media.md): any OpenAI-compatible POST /audio/transcriptions */
  asr: z.object({
    /** unset = voice questions are refused with asr_not_configured */
    baseUrl: optionalUrl,
    apiKey: optionalText,
    /** e.g. FunAudioLLM/SenseVoiceSmall (SiliconFlow), whisper-1 (OpenAI), paraformer-v2 (gateways) */
    model: z.string().trim().min(1).default('whisper-1'),
    /** one transcription's deadline (upload + recognition), ms */
    timeoutMs: int(1_000, 600_000).default(30_000),
    /** ISO-639-1 hint sent as `language`, e.g. zh; unset = the service detects it */
    language: optionalText,
    /**
     * recording formats the provider cannot take, converted to 16 kHz WAV with ffmpeg first:
     * comma-separated MIME types or short names (amr, mp3, aac, m4a, wav, ogg, webm). Silk is
     * always decoded (silk-wasm), with or without this list.
     */
    convertFormats: z
      .string()
      .default('amr')
      .transform((list) => list.split(',').map((f) => f.trim().toLowerCase()).filter(Boolean).map((f) => AUDIO_FORMAT_MIME[f] ?? f)),
    /** the ffmpeg binary (Debian package `ffmpeg`); looked for once at start */
    ffmpegPath: z.string().min(1).default('ffmpeg'),
  }).prefault({}),

  chat: z.object({
    /** past turns (user + assistant pairs) sent with each question */
    historyTurns: int(0, 200).default(20),
    /** longest accepted question, characters */
    maxQueryChars: int(1, 100_000).default(2_000),
    /** chat_delta frames are coalesced to at most one per this many ms */
    streamCoalesceMs: int(0, 5_000).default(50),
    /** an answer whose socket dropped keeps running this long for the client to come back, ms */
    detachGraceMs: int(0, 600_000).default(15_000),
    /** with Redis: the per-session answer lock's lease, ms; an instance that dies loses its answers this long after */
    answerLeaseMs: int(1_000, 600_000).default(10_000),
    /** with Redis: request_ids and finished answers (their streams) are kept this long, s */
    answerRetentionSeconds: int(60, 86_400).default(600),
    /** with Redis: stream entries (coalesced deltas) kept per answer, approximately */
    answerStreamMaxEntries: int(100, 1_000_000).default(10_000),
  }),

  kb: z.object({
    /** load the bundled sample knowledge base (kb-sample/) when the knowledge base is empty; unset = on except in production */
    loadSample: z.stringbool().optional(),
    /** passages quoted in a prompt at most */
    topK: int(1, 20).default(3),
    /** 0…1; passages covering less of the question are not quoted (src/knowledge-base/relevance.ts) */
    minRelevance: z.coerce.number().min(0).max(1).default(0.3),
    embedding: z.object({
      /** any OpenAI-compatible /v1/embeddings; unset = BM25 only */
      baseUrl: optionalUrl,
      apiKey: optionalText,
      model: optionalText,
    }),
  }),

  session: z.object({
    /** sliding lifetime of a login session, seconds (7 days) */
    ttlSeconds: int(60, 365 * 24 * 3600).default(7 * 24 * 3600),
  }),

  http: z.object({
    /** largest accepted JSON request body, bytes (knowledge-base uploads have their own 50 MB bound) */
    maxBodyBytes: int(1_024, 16 * 1024 * 1024).default(64 * 1024),
    /**
     * a request's headers and body must have arrived within this, ms (slowloris); the answer a
     * client then receives, streamed or not, is not bounded by it
     */
    requestTimeoutMs: int(1_000, 600_000).default(30_000),
    /** a request's headers must have arrived within this, ms (capped at requestTimeoutMs) */
    headersTimeoutMs: int(1_000, 600_000).default(10_000),
  }),

  ws: z.object({
    /** largest accepted frame, bytes; larger closes with 1009 */
    maxFrameBytes: int(1_024, 16 * 1024 * 1024).default(64 * 1024),
    /** permessage-deflate for frames over 1 KiB, to clients that offer it; off: ~50 KB per socket that got one (docs/performance.md) */
    compression: z.stringbool().default(false),
    /** sockets that have not logged in by then are closed, ms */
    loginTimeoutMs: int(100, 3_600_000).default(30_000),
    /** sockets silent for this long are closed, ms */
    idleTimeoutMs: int(100, 3_600_000).default(120_000),
    /** open sockets per client IP */
    maxConnectionsPerIp: int(1, 100_000).default(50),
    /**
     * sockets that have not logged in yet, process-wide; beyond it new sockets get 1013. With
     * WS_LOGIN_TIMEOUT_MS this bounds what anonymous sockets can hold.
     */
    maxUnauthenticated: int(1, 1_000_000).default(1_000),
    /** frames one socket may send per second; beyond it the socket is closed with 4003 */
    maxMessagesPerSecond: int(1, 100_000).default(50),
    /** bytes queued for one socket that does not read before it is dropped */
    maxBufferedBytes: int(64 * 1024, 1024 * 1024 * 1024).default(8 * 1024 * 1024),
    /** bytes queued for all sockets together; past it, a socket that is behind is dropped */
    maxTotalBufferedBytes: int(64 * 1024, 16 * 1024 * 1024 * 1024).default(256 * 1024 * 1024),
  }),

  /**
   * Abuse and budget limits; 0 = unlimited. Counted in Redis when REDIS_URL is set (shared by
   * every instance), else per process. Minute windows are fixed; the day is Asia/Shanghai's.
   */
  limits: z.object({
    /** chats per user (openid) per minute: a person types maybe 2–3 questions a minute; 10 leaves room for retries, stops scripts */
    userChatsPerMinute: int(0, 1_000_000).default(10),
    /** model tokens (prompt + completion) per user per day: ~100 questions with history and RAG context at ~2,000 tokens each */
    userTokensPerDay: int(0, 1_000_000_000_000).default(200_000),
    /**
     * logins with a code (each one calls WeChat's code2session) per client IP per minute;
     * generous because mobile carriers in China put many users behind one IP (CGNAT)
     */
    ipLoginsPerMinute: int(0, 1_000_000).default(30),
    /** new WebSockets per client IP per minute: reconnect storms after a restart stay under it, scanners do not */
    ipConnectionsPerMinute: int(0, 1_000_000).default(60),
    /** seconds of voice questions transcribed per user per day (Asia/Shanghai): 30 minutes is ~300 spoken questions */
    userAsrSecondsPerDay: int(0, 1_000_000_000).default(1_800),
    /** uploads (POST /wechat/upload) per user per minute: a photo or a voice question every few seconds is plenty */
    userUploadsPerMinute: int(0, 1_000_000).default(20),
    /**
     * bytes a user may upload per day (Asia/Shanghai), 200 MiB: ~200 phone photos or hours of voice,
     * while one account cannot fill the disk at 20 × 10 MB a minute
     */
    userUploadBytesPerDay: int(0, 1_000_000_000_000).default(200 * 1024 * 1024),
    /** characters of spoken answers synthesized per user per day (cached replays are free): ~40 answers of 500 characters */
    userTtsCharsPerDay: int(0, 1_000_000_000).default(20_000),
  }),

  /** WeChat content security (msgSecCheck v2) and the local keyword list; see src/moderation/ */
  contentSecurity: z.object({
    /** off | input (questions) | both (questions and answers); unset = both with WECHAT_APPID and secret, else off */
    mode: z.enum(['off', 'input', 'both']).optional(),
    /**
     * When WeChat cannot decide (down, timeout, 45009 quota): open = let the text through (the
     * keyword list still ran) and warn; closed = treat it as risky. Default open: an unpublished
     * mini-program may get only ~100 checks a day (notes §3.4), and a WeChat outage or quota
     * would otherwise take every chat down; operators who must never show unchecked text set closed.
     */
    fail: z.enum(['open', 'closed']).default('open'),
    /** extra terms, one per line (# comments), added to the built-in list */
    keywordsFile: optionalText,
    /** one check's deadline (access token fetch included), ms; WeChat answers in ~400 ms */
    timeoutMs: int(100, 60_000).default(3_000),
  }),

  /** Photo and voice uploads (POST /wechat/upload); see src/media/ and docs/media.md */
  uploads: z.object({
    /** where upload files are kept; unset = DATA_DIR/uploads. With REDIS_URL every instance must see the same directory */
    dir: optionalText,
    /** largest image, bytes (10 MiB; chooseMedia's compressed photos are a few hundred KB) */
    maxImageBytes: int(1_024, 1024 * 1024 * 1024).default(10 * 1024 * 1024),
    /** largest audio file, bytes (5 MiB: a minute of 128 kbps MP3 is ~1 MB, of 16 kHz WAV ~2 MB) */
    maxAudioBytes: int(1_024, 1024 * 1024 * 1024).default(5 * 1024 * 1024),
    /** longest audio, seconds (WeChat's RecorderManager records up to 60 s by default, 10 min at most) */
    maxAudioSeconds: int(1, 3_600).default(60),
    /** an upload can be asked about this long, hours; then its file and record are deleted */
    ttlHours: int(1, 24 * 365).default(24),
  }),
  /**
   * Suggested follow-up questions after each answer (`chat_suggestions`, src/chat/suggestions/).
   * Off by default: with a model every answer costs one more (small) model call and tokens the
   * user's day limit does not count, and a client that never asked for it gets no extra frame.
   */
  suggestions: z.object({
    /** on = after each complete answer, to clients that use stream or request_id (WebSocket only) */
    mode: z.enum(['on', 'off']).default('off'),
    /** model for the suggestion call; unset = LLM_MODEL (a cheaper one of the same endpoint works well) */
    model: optionalText,
    /** the suggestion call's deadline, ms; past it the knowledge-base headings are offered, or nothing */
    timeoutMs: int(200, 60_000).default(5_000),
  }).prefault({}),
  /** Spoken answers (GET /wechat/speech/{id}) through an OpenAI-compatible /audio/speech; off without baseUrl */
  tts: z.object({
    baseUrl: optionalUrl,
    apiKey: optionalText,
    model: z.string().trim().min(1).default('tts-1'),
    voice: z.string().trim().min(1).default('alloy'),
    /** only mp3: its frames concatenate, so pieces stream as one file (wav/opus/pcm would not) */
    format: z.enum(['mp3']).default('mp3'),
    /** the provider's headers, then each next part of the audio, must arrive within this, ms */
    timeoutMs: int(1_000, 600_000).default(30_000),
    /** longest text per provider request, characters; answers are split at sentence ends below it */
    maxCharsPerRequest: int(20, 100_000).default(500),
    /** syntheses running at once in this process; beyond it a new (uncached) play gets 503 tts_busy */
    maxConcurrency: int(1, 10_000).default(16),
    /** lifetime of a signed play URL (POST /wechat/speech/{id}/url), s */
    urlTtlSeconds: int(30, 86_400).default(600),
    /** HMAC key for play URLs, ≥ 32 characters, the same on every instance; unset = derived from WECHAT_APP_SECRET, else a random key kept in DATA_DIR */
    urlSecret: optionalText.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
    /** finished recordings are kept this many days in DATA_DIR/speech; 0 = forever */
    cacheDays: int(0, 36_500).default(30),
  }),
  /**
   * Image content security through WeChat's mediaCheckAsync (src/moderation/media-check*.ts,
   * docs/media.md §内容安全). On only when content security uses WeChat (CONTENT_SECURITY not
   * off, WECHAT_APPID and secret set) and both of these are set; otherwise images are not checked.
   */
  mediaCheck: z.object({
    /** the gateway's public https origin (e.g. https://ai.example.com): WeChat's servers fetch images from it */
    publicBaseUrl: optionalUrl,
    /** the 消息推送 Token of the mini-program (plain-text mode, JSON format); the push URL is PUBLIC_BASE_URL/wechat/push */
    pushToken: optionalText,
    /** lifetime of the signed image URL WeChat fetches, s (WeChat fetches within minutes) */
    urlTtlSeconds: int(60, 86_400).default(3_600),
  }).prefault({}),

  /** SIGTERM: how long answers in flight may take to finish, ms */
  shutdownGraceMs: int(0, 600_000).default(10_000),
});

/**
 * The settings whose default depends on NODE_ENV: the console (it offers dev login) and our own
 * sample documents are for trying the gateway out, never a customer's production bot.
 */
export const resolvedConfigSchema = configSchema.transform((config) => {
  const trying = config.env !== 'production';
  return {
    ...config,
    consoleEnabled: config.consoleEnabled ?? trying,
    kb: { ...config.kb, loadSample: config.kb.loadSample ?? trying },
    contentSecurity: {
      ...config.contentSecurity,
      // WeChat requires AI Q&A mini-programs to check questions and answers: on whenever the real AppID is
      mode: config.contentSecurity.mode ?? (config.wechat.appId && config.wechat.appSecret ? 'both' : 'off'),
    },
  };
});

export type Config = z.output<typeof resolvedConfigSchema>;
