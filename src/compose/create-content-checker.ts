import type { Logger } from 'pino';
import type { Config } from '../config/config-schema.js';
import { DEFAULT_KEYWORDS } from '../moderation/default-keywords.js';
import { KeywordChecker, readKeywordsFile } from '../moderation/keyword-checker.js';
import type { GatewayMetrics } from '../observability/gateway-metrics.js';
import { withRedisErrorCount } from './with-redis-error-count.js';
import { LayeredContentChecker } from '../moderation/layered-checker.js';
import { WechatContentChecker } from '../moderation/wechat-content-checker.js';
import { throttledWarn } from '../observability/throttled-warn.js';
import { AccessTokenProvider } from '../wechat/access-token.js';
import { MemoryTokenCache } from '../wechat/memory-token-cache.js';
import type { TokenCache } from '../wechat/token-cache.js';
import { lazyTokenCache } from './lazy-token-cache.js';
import { StartupError } from './startup-error.js';

/**
 * Content security as CONTENT_SECURITY says (undefined when off): the keyword list (built-in
 * plus CONTENT_SECURITY_KEYWORDS_FILE) first, then WeChat's msgSecCheck when the AppID and
 * secret are set — keywords alone otherwise (dev mode). The access token is shared through
 * Redis when REDIS_URL is set (its driver imported on the first check). Whether questions
 * only or answers too are checked is the chat flow's reading of `config.contentSecurity.mode`.
 */
export function createContentChecker(
  config: Readonly<Config>,
  logger: Logger,
  options: { metrics?: GatewayMetrics } = {},
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
  const onCheck = options.metrics && ((checker: string, verdict: string) => options.metrics!.contentCheck(checker, verdict));
  if (!appId || !appSecret) {
    logger.warn('content security without WECHAT_APPID: the keyword list only, no msgSecCheck');
    return new LayeredContentChecker({ keywords, fail, logger, onCheck });
  }
  const { redisUrl, redisKeyPrefix } = config;
  const cache: TokenCache = redisUrl
    ? lazyTokenCache(async () =>
        (await import('../wechat/redis-token-cache.js')).createRedisTokenCache({
          url: redisUrl,
          prefix: redisKeyPrefix,
          onError: withRedisErrorCount(throttledWarn(logger, 'redis unavailable (access token cache)'), options.metrics, 'token_cache'),
        }),
      )
    : new MemoryTokenCache();
  const tokens = new AccessTokenProvider({ appId, appSecret, apiBase, timeoutMs: config.wechat.timeoutMs, cache, logger });
  const remote = new WechatContentChecker({ tokens, apiBase, timeoutMs, logger, onUserInactive: keywords });
  return new LayeredContentChecker({ keywords, remote, fail, logger, onCheck, onClose: () => cache.close() });
}
