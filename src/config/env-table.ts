/**
 * Environment variable → config path. The one place that names variables; `.env.example`
 * lists the same ones with their defaults.
 */
export const envTable = {
  NODE_ENV: 'env',
  HOST: 'host',
  PORT: 'port',
  LOG_LEVEL: 'logLevel',
  TRUST_PROXY: 'trustProxy',
  CORS_ORIGINS: 'corsOrigins',
  ADMIN_TOKEN: 'adminToken',
  DATA_DIR: 'dataDir',
  REDIS_URL: 'redisUrl',
  WECHAT_APPID: 'wechat.appId',
  WECHAT_APP_SECRET: 'wechat.appSecret',
  WECHAT_API_BASE: 'wechat.apiBase',
  WECHAT_TIMEOUT_MS: 'wechat.timeoutMs',
  LLM_BASE_URL: 'llm.baseUrl',
  LLM_API_KEY: 'llm.apiKey',
  LLM_MODEL: 'llm.model',
  SYSTEM_PROMPT: 'llm.systemPrompt',
  LLM_TIMEOUT_MS: 'llm.timeoutMs',
  LLM_MAX_RETRIES: 'llm.maxRetries',
  LLM_MAX_TOKENS: 'llm.maxTokens',
  LLM_MAX_CONCURRENCY: 'llm.maxConcurrency',
  LLM_QUEUE_SIZE: 'llm.queueSize',
  LLM_QUEUE_TIMEOUT_MS: 'llm.queueTimeoutMs',
  HISTORY_TURNS: 'chat.historyTurns',
  MAX_QUERY_CHARS: 'chat.maxQueryChars',
  STREAM_COALESCE_MS: 'chat.streamCoalesceMs',
  ANSWER_DETACH_GRACE_MS: 'chat.detachGraceMs',
  SESSION_TTL_SECONDS: 'session.ttlSeconds',
  WS_MAX_FRAME_BYTES: 'ws.maxFrameBytes',
  WS_LOGIN_TIMEOUT_MS: 'ws.loginTimeoutMs',
  WS_IDLE_TIMEOUT_MS: 'ws.idleTimeoutMs',
  WS_MAX_CONNECTIONS_PER_IP: 'ws.maxConnectionsPerIp',
  SHUTDOWN_GRACE_MS: 'shutdownGraceMs',
} as const;

export type EnvName = keyof typeof envTable;
