import { createHash, randomBytes } from 'node:crypto';
import { AppError } from '../protocol/error-catalogue.js';
import type { SessionStore } from '../store/session-store.js';
import { storeCall } from '../store/store-call.js';
import type { WechatAuth } from '../wechat/wechat-auth.js';

/** Who a request is, as the rest of the app sees it: no session_key here. */
export interface Session {
  sessionId: string;
  openid: string;
  unionid?: string;
}

export interface SessionServiceOptions {
  /** sliding lifetime, ms */
  ttlMs: number;
  now?: () => number;
}

/**
 * Issues, resumes and expires login sessions. `session_id` is 256 random bits, opaque to
 * clients; it maps server-side to openid, unionid and session_key (which stays in the store).
 */
export class SessionService {
  private readonly now: () => number;
  /** extend the expiry at most this often per session, to keep reads cheap */
  private readonly touchEveryMs: number;

  constructor(
    private readonly store: SessionStore,
    private readonly wechat: WechatAuth,
    private readonly options: SessionServiceOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.touchEveryMs = Math.min(options.ttlMs / 100, 3_600_000);
  }

  /** wx.login code → a new session. Throws WechatError (mapped to a wechat_* reason by protocol/to-app-error). */
  async login(code: string): Promise<Session> {
    const identity = await this.wechat.code2Session(code);
    const now = this.now();
    const sessionId = randomBytes(32).toString('base64url');
    await storeCall(this.store.put({
      sessionId,
      openid: identity.openid,
      unionid: identity.unionid,
      sessionKey: identity.sessionKey,
      createdAt: now,
      expiresAt: now + this.options.ttlMs,
    }));
    return toSession(sessionId, identity);
  }

  /**
   * The live session for an id, its expiry slid forward. Throws `session_expired` for an
   * unknown or expired id: the client must run wx.login again.
   */
  async authenticate(sessionId: string): Promise<Session> {
    return (await this.confirm(sessionId)).session;
  }

  /** `authenticate`, with when the session now expires (epoch ms): a caller may trust it until then. */
  async confirm(sessionId: string): Promise<{ session: Session; expiresAt: number }> {
    const record = await storeCall(this.store.get(sessionId));
    const now = this.now();
    if (!record || record.expiresAt <= now) throw new AppError('session_expired');
    const fresh = now + this.options.ttlMs;
    if (fresh - record.expiresAt < this.touchEveryMs) return { session: toSession(sessionId, record), expiresAt: record.expiresAt };
    await storeCall(this.store.touch(sessionId, fresh));
    return { session: toSession(sessionId, record), expiresAt: fresh };
  }

  async logout(sessionId: string): Promise<void> {
    await storeCall(this.store.delete(sessionId));
  }
}

function toSession(sessionId: string, who: { openid: string; unionid?: string }): Session {
  return who.unionid ? { sessionId, openid: who.openid, unionid: who.unionid } : { sessionId, openid: who.openid };
}

/** A short, irreversible tag of a session id for logs: the id itself is a credential. */
export function sessionTag(sessionId: string): string {
  return createHash('sha256').update(sessionId).digest('hex').slice(0, 10);
}
