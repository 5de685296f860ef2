import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * WeChat's 消息推送 signature (plain-text mode): SHA1 of token, timestamp and nonce sorted as
 * strings and concatenated, in hex. It proves the push came from someone who knows the Token
 * configured in the mini-program's admin console; it does not cover the body.
 */
export function pushSignature(token: string, timestamp: string, nonce: string): string {
  return createHash('sha1').update([token, timestamp, nonce].sort().join('')).digest('hex');
}

/** True when `signature` is the one for this token, timestamp and nonce (constant-time compare). */
export function verifyPushSignature(token: string, query: { signature?: unknown; timestamp?: unknown; nonce?: unknown }): boolean {
  const { signature, timestamp, nonce } = query;
  if (typeof signature !== 'string' || typeof timestamp !== 'string' || typeof nonce !== 'string') return false;
  if (signature.length !== 40 || timestamp.length > 20 || nonce.length > 100) return false;
  const expected = Buffer.from(pushSignature(token, timestamp, nonce));
  const given = Buffer.from(signature.toLowerCase());
  return given.length === expected.length && timingSafeEqual(given, expected);
}
