import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/config-schema.js';
import { SpeechUrlSigner } from '../media/speech-url-signer.js';
import type { UploadStore, UploadWriter } from '../media/upload-store.js';
import { MediaCheck } from '../moderation/media-check.js';
import type { MediaCheckStore } from '../moderation/media-check-store.js';
import { WechatMediaChecker } from '../moderation/wechat-media-checker.js';
import { throttledWarn } from '../observability/throttled-warn.js';
import { AccessTokenProvider } from '../wechat/access-token.js';
import { MemoryTokenCache } from '../wechat/memory-token-cache.js';
import type { TokenCache } from '../wechat/token-cache.js';
import { urlKey } from './create-speech.js';
import { lazyTokenCache } from './lazy-token-cache.js';

export interface ImageCheck {
  mediaCheck: MediaCheck;
  /** WECHAT_PUSH_TOKEN, for the push route's signature check */
  pushToken: string;
  /** checks a media URL token (GET /wechat/media/{id}) */
  verify(token: string, uploadId: string): { openid: string } | 'expired' | 'invalid';
  close(): Promise<void>;
}

/** The media URL key: derived from the speech URL key (TTS_URL_SECRET, else WECHAT_APP_SECRET), so a play token is never a media token. */
export function mediaUrlKey(speechKey: Buffer): Buffer {
  return createHmac('sha256', speechKey).update('media-url-key').digest();
}

/**
 * Image checking through WeChat's mediaCheckAsync — only when content security uses WeChat
 * (CONTENT_SECURITY not off, WECHAT_APPID and secret) and PUBLIC_BASE_URL and WECHAT_PUSH_TOKEN
 * are set. Otherwise undefined, and the log says once why images are not checked. The
 * verdicts live in Redis when REDIS_URL is set (any instance may get the push), else in
 * gateway.sqlite.
 */
export async function createImageCheck(
  config: Readonly<Config>,
  uploads: UploadStore & UploadWriter,
  logger: Logger,
): Promise<ImageCheck | undefined> {
  const { appId, appSecret, apiBase } = config.wechat;
  const { publicBaseUrl, pushToken, urlTtlSeconds } = config.mediaCheck;
  const missing = [
    config.contentSecurity.mode === 'off' && 'CONTENT_SECURITY (off)',
    (!appId || !appSecret) && 'WECHAT_APPID / WECHAT_APP_SECRET',
    !publicBaseUrl && 'PUBLIC_BASE_URL',
    !pushToken && 'WECHAT_PUSH_TOKEN',
  ].filter((x): x is string => typeof x === 'string');
  if (missing.length > 0 || !appId || !appSecret || !publicBaseUrl || !pushToken) {
    logger.info({ missing }, 'images are not content-checked (WeChat mediaCheckAsync needs these settings)');
    return undefined;
  }
  if (!publicBaseUrl.startsWith('https://')) logger.warn('PUBLIC_BASE_URL is not https: WeChat fetches images from https origins only');
  const store = await openStore(config);
  const cache: TokenCache = config.redisUrl
    ? lazyTokenCache(async () =>
        (await import('../wechat/redis-token-cache.js')).createRedisTokenCache({
          url: config.redisUrl!,
          prefix: config.redisKeyPrefix,
          onError: throttledWarn(logger, 'redis unavailable (access token cache)'),
        }),
      )
    : new MemoryTokenCache();
  const tokens = new AccessTokenProvider({ appId, appSecret, apiBase, timeoutMs: config.wechat.timeoutMs, cache, logger });
  const checker = new WechatMediaChecker({ tokens, apiBase, timeoutMs: config.contentSecurity.timeoutMs });
  const signer = new SpeechUrlSigner(mediaUrlKey(await urlKey(config, join(config.dataDir, 'speech'))), urlTtlSeconds * 1000);
  const mediaCheck = new MediaCheck({
    store,
    submit: (url, openid) => checker.submit(url, openid),
    signer,
    deleteUpload: (id) => uploads.delete(id),
    publicBaseUrl: publicBaseUrl.replace(/\/+$/, ''),
    logger: logger.child({ module: 'media-check' }),
  });
  logger.info({ pushUrl: `${publicBaseUrl.replace(/\/+$/, '')}/wechat/push` }, 'images are content-checked with WeChat mediaCheckAsync (verdicts arrive as pushes)');
  return {
    mediaCheck,
    pushToken,
    verify: (token, uploadId) => signer.verify(token, uploadId),
    close: async () => {
      await mediaCheck.close();
      await cache.close();
    },
  };
}

async function openStore(config: Readonly<Config>): Promise<MediaCheckStore> {
  if (!config.redisUrl) {
    const [{ openSqlite }, { SqliteMediaCheckStore }] = await Promise.all([
      import('../store/sqlite/open-sqlite.js'),
      import('../moderation/sqlite-media-check-store.js'),
    ]);
    return new SqliteMediaCheckStore(openSqlite(join(config.dataDir, 'gateway.sqlite')), { ownsDb: true });
  }
  const [{ createRedisClient, reconnectBackoff }, { RedisMediaCheckStore }] = await Promise.all([
    import('../store/redis/create-redis-client.js'),
    import('../moderation/redis-media-check-store.js'),
  ]);
  const client = createRedisClient(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2, retryStrategy: reconnectBackoff, connectTimeout: 5_000, commandTimeout: 5_000 });
  client.on('error', () => {});
  return new RedisMediaCheckStore(client, config.redisKeyPrefix, true);
}
