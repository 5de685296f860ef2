import type { Logger } from 'pino';
import { mapWechatErrcode } from './map-wechat-errcode.js';
import { callWechatJson } from './wechat-json.js';
import type { CachedToken, TokenCache } from './token-cache.js';
import { WechatError } from './wechat-error.js';

export interface AccessTokenOptions {
  appId: string;
  appSecret: string;
  /** https://api.weixin.qq.com, or a loopback fake in tests */
  apiBase: string;
  /** one stable_token call's deadline, ms */
  timeoutMs: number;
  /** memory, or Redis to share the token between instances */
  cache: TokenCache;
  logger: Logger;
  now?: () => number;
}

/**
 * errcodes that mean "this access_token is no good" (invalid / not the latest, invalid,
 * expired): the caller invalidates it and retries once with a fresh one (as wechatpy and
 * co-wechat-api do; notes §2.4).
 */
export const TOKEN_REJECTED_ERRCODES: ReadonlySet<number> = new Set([40001, 40014, 42001]);

/** The platform renews a stable token 5 minutes before it expires; we stop using it then. */
const SAFETY_MARGIN_S = 300;

/**
 * The mini-program's access_token from `POST /cgi-bin/stable_token` in normal mode — never
 * `/cgi-bin/token`, whose every fetch invalidates the tokens other systems on the AppID hold,
 * and never `force_refresh` (20 a day). Normal mode returns the same token to every caller
 * while it is valid, so instances need no distributed lock: the shared cache only saves calls.
 *
 * Cached until `expires_in − 300 s`; concurrent callers share one fetch; `invalidate()` after
 * a 40001/40014/42001 drops it everywhere. Neither the token nor the secret is ever logged or
 * put in an error message.
 *
 * @example
 * const tokens = new AccessTokenProvider({ appId, appSecret, apiBase, timeoutMs: 5000, cache: new MemoryTokenCache(), logger });
 * const token = await tokens.get();
 * // … API answered 42001:
 * await tokens.invalidate(token);
 */
export class AccessTokenProvider {
  private local: CachedToken | undefined;
  private inFlight: Promise<string> | undefined;
  private readonly now: () => number;

  constructor(private readonly options: AccessTokenOptions) {
    this.now = options.now ?? Date.now;
  }

  /** A valid token. `signal` only stops this caller waiting: the shared fetch goes on for the others. */
  get(signal?: AbortSignal): Promise<string> {
    if (this.local && this.local.expiresAt > this.now()) return Promise.resolve(this.local.token);
    this.inFlight ??= this.load().finally(() => {
      this.inFlight = undefined;
    });
    return signal ? raceAbort(this.inFlight, signal) : this.inFlight;
  }

  /** Forget `token` (an API rejected it), here and in the shared cache; the next get() fetches. */
  async invalidate(token: string): Promise<void> {
    if (this.local?.token === token) this.local = undefined;
    try {
      await this.options.cache.delete(this.options.appId, token);
    } catch (error) {
      this.options.logger.warn({ error: String(error) }, 'access token cache unavailable (delete)');
    }
  }

  private async load(): Promise<string> {
    const { cache, appId, logger } = this.options;
    try {
      const shared = await cache.get(appId);
      if (shared && shared.expiresAt > this.now()) {
        this.local = shared;
        return shared.token;
      }
    } catch (error) {
      // a cache outage must not stop content checks: fetch ourselves
      logger.warn({ error: String(error) }, 'access token cache unavailable (get)');
    }
    const fresh = await this.fetchStableToken();
    this.local = fresh;
    try {
      await cache.set(appId, fresh);
    } catch (error) {
      logger.warn({ error: String(error) }, 'access token cache unavailable (set)');
    }
    return fresh.token;
  }

  private async fetchStableToken(): Promise<CachedToken> {
    const { appId, appSecret, apiBase, timeoutMs, logger } = this.options;
    const reply = await callWechatJson(
      new URL('/cgi-bin/stable_token', apiBase),
      { grant_type: 'client_credential', appid: appId, secret: appSecret, force_refresh: false },
      AbortSignal.timeout(timeoutMs),
      'stable_token',
    );
    const token = reply.access_token;
    const expiresIn = Number(reply.expires_in);
    if (typeof token === 'string' && token && expiresIn > 0) {
      // a token handed out during the platform's renewal window can have < 300 s left: use half of it
      const lifetimeS = expiresIn > SAFETY_MARGIN_S ? expiresIn - SAFETY_MARGIN_S : expiresIn / 2;
      logger.debug({ expiresIn }, 'fetched a WeChat access token');
      return { token, expiresAt: this.now() + lifetimeS * 1000 };
    }
    const errcode = typeof reply.errcode === 'number' ? reply.errcode : NaN;
    // 40164: this server's IP is not in the mini-program's API IP whitelist (notes §2.3)
    logger.error({ errcode, errmsg: reply.errmsg }, 'stable_token failed');
    throw new WechatError(mapWechatErrcode(errcode), `stable_token errcode ${errcode}`);
  }
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
