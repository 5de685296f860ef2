import type { WechatAuth, WechatIdentity } from './wechat-auth.js';

/**
 * Wraps a WechatAuth so that one code reaches WeChat once: concurrent logins with the same
 * code share one exchange, and a code that succeeded is answered from memory for its
 * 5-minute lifetime (a client retrying after a dropped reply would otherwise get 40163).
 * Failures are not remembered: WeChat decides again.
 */
export class CollapsingWechatAuth implements WechatAuth {
  private readonly inFlight = new Map<string, Promise<WechatIdentity>>();
  private readonly recent = new Map<string, { identity: WechatIdentity; until: number }>();

  constructor(
    private readonly inner: WechatAuth,
    /** wx.login codes live five minutes */
    private readonly rememberMs = 5 * 60_000,
    private readonly maxRemembered = 10_000,
  ) {}

  get mode(): WechatAuth['mode'] {
    return this.inner.mode;
  }

  code2Session(code: string): Promise<WechatIdentity> {
    const now = Date.now();
    const hit = this.recent.get(code);
    if (hit && hit.until > now) return Promise.resolve(hit.identity);
    const pending = this.inFlight.get(code);
    if (pending) return pending;
    const exchange = this.inner
      .code2Session(code)
      .then((identity) => {
        this.remember(code, identity, now);
        return identity;
      })
      .finally(() => this.inFlight.delete(code));
    this.inFlight.set(code, exchange);
    return exchange;
  }

  private remember(code: string, identity: WechatIdentity, now: number): void {
    if (this.recent.size >= this.maxRemembered) {
      // Map iterates in insertion order: drop expired entries, then the oldest if still full
      for (const [key, entry] of this.recent) {
        if (entry.until <= now || this.recent.size >= this.maxRemembered) this.recent.delete(key);
        else break;
      }
    }
    this.recent.set(code, { identity, until: now + this.rememberMs });
  }
}
