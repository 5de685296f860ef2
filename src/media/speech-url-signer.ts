import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Short-lived tokens for speech URLs. The mini-program's InnerAudioContext plays a `src` URL
 * and cannot send headers (no Authorization), so the owner first asks
 * `POST /wechat/speech/{id}/url` (with its session) for a URL carrying `?t=<token>`.
 * The token is `v1.<expiry, base36 seconds>.<openid, base64url>.<HMAC-SHA256>`, the MAC over
 * the answer id, openid and expiry: it plays that one answer, for that user, until it expires.
 * The session id never goes into a URL (URLs end up in access logs and players' caches).
 * The openid is readable in the token: it is the user's own id, and only they get the URL.
 */
export class SpeechUrlSigner {
  constructor(
    /** ≥ 32 bytes; the same on every instance (compose/create-speech.ts) */
    private readonly key: Buffer,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {
    if (key.length < 32) throw new Error('speech URL key must be at least 32 bytes');
  }

  /** A token for `answerId` and `openid`, and when it expires (epoch ms). */
  sign(answerId: string, openid: string): { token: string; expiresAt: number } {
    const expiresAt = Math.ceil((this.now() + this.ttlMs) / 1000) * 1000;
    const exp = (expiresAt / 1000).toString(36);
    const who = Buffer.from(openid).toString('base64url');
    return { token: `v1.${exp}.${who}.${this.mac(answerId, openid, exp)}`, expiresAt };
  }

  /**
   * The openid a token was issued to for `answerId`: 'expired' past its expiry, 'invalid' for
   * anything tampered with, malformed or issued for another answer.
   */
  verify(token: string, answerId: string): { openid: string } | 'expired' | 'invalid' {
    const parts = token.split('.');
    if (parts.length !== 4 || parts[0] !== 'v1' || token.length > 512) return 'invalid';
    const [, exp, who, mac] = parts as [string, string, string, string];
    if (!/^[0-9a-z]{1,12}$/.test(exp) || !/^[A-Za-z0-9_-]{1,200}$/.test(who)) return 'invalid';
    const openid = Buffer.from(who, 'base64url').toString();
    const expected = Buffer.from(this.mac(answerId, openid, exp));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid';
    if (parseInt(exp, 36) * 1000 <= this.now()) return 'expired';
    return { openid };
  }

  private mac(answerId: string, openid: string, exp: string): string {
    // length-prefixed fields: no two (answer, openid, expiry) triples share an input
    const input = [answerId, openid, exp].map((field) => `${Buffer.byteLength(field)}:${field}`).join('|');
    return createHmac('sha256', this.key).update(`speech-url|${input}`).digest('base64url');
  }
}
