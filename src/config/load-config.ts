import { resolvedConfigSchema, type Config } from './config-schema.js';
import { envTable, type EnvName } from './env-table.js';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

/**
 * Builds the config from environment variables: validated once, frozen. A bad or missing
 * value throws one `ConfigError` naming the variable, e.g.
 * `WECHAT_APP_SECRET is required when NODE_ENV=production`.
 */
export function loadConfig(env: Env): Readonly<Config> {
  const raw: Record<string, unknown> = { wechat: {}, llm: {}, chat: {}, kb: { embedding: {} }, session: {}, http: {}, ws: {}, limits: {}, contentSecurity: {}, metrics: {}, uploads: {}, vision: {}, asr: {}, tts: {} };
  for (const [name, path] of Object.entries(envTable)) {
    const value = env[name];
    // an empty variable means "not set": .env files list every variable, most left empty
    if (value !== undefined && value.trim() !== '') setPath(raw, path, value);
  }
  const parsed = resolvedConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = envNameFor(issue.path.join('.'));
      return `${name ?? issue.path.join('.')}: ${issue.message}`;
    });
    throw new ConfigError(`invalid configuration — ${problems.join('; ')}`);
  }
  const config = parsed.data;
  if (config.env === 'production') {
    if (!config.wechat.appId) throw new ConfigError('WECHAT_APPID is required when NODE_ENV=production');
    if (!config.wechat.appSecret) {
      throw new ConfigError('WECHAT_APP_SECRET is required when NODE_ENV=production');
    }
  }
  if (config.kb.embedding.baseUrl && !config.kb.embedding.model) {
    throw new ConfigError('EMBEDDING_MODEL is required when EMBEDDING_BASE_URL is set');
  }
  if (config.workers !== 1 && !config.redisUrl) {
    throw new ConfigError(
      `WORKERS=${config.workers} 需要 REDIS_URL（多个工作进程通过 Redis 共享会话与对话）/ ` +
        `WORKERS=${config.workers} requires REDIS_URL: worker processes share sessions and history only through Redis`,
    );
  }
  if (config.redisUrl && config.redisHistoryMaxMessages < config.chat.historyTurns * 2 + 1) {
    throw new ConfigError(
      `REDIS_HISTORY_MAX_MESSAGES must be at least 2 × HISTORY_TURNS + 1 (${config.chat.historyTurns * 2 + 1}): the prompt would lose turns`,
    );
  }
  if (config.wechat.appId && !config.wechat.appSecret) {
    throw new ConfigError('WECHAT_APP_SECRET is required when WECHAT_APPID is set');
  }
  return deepFreeze(config);
}

function envNameFor(path: string): EnvName | undefined {
  return (Object.keys(envTable) as EnvName[]).find((name) => envTable[name] === path);
}

function setPath(target: Record<string, unknown>, path: string, value: string): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) node = node[key] as Record<string, unknown>;
  node[keys.at(-1)!] = value;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
