import { createHash } from 'node:crypto';
import type { WechatAuth, WechatIdentity } from './wechat-auth.js';

/**
 * Dev login, used when no WECHAT_APPID is configured outside production: the openid is
 * derived from the code, so the same code always means the same user (the seed's test
 * script sends "test_code"). Anyone can be anyone: never for production.
 */
export class DevWechatAuth implements WechatAuth {
  readonly mode = 'dev' as const;

  async code2Session(code: string): Promise<WechatIdentity> {
    const digest = createHash('sha256').update(`dev-openid:${code}`).digest('base64url');
    return {
      openid: `dev_${digest.slice(0, 24)}`,
      sessionKey: createHash('sha256').update(`dev-session-key:${code}`).digest('base64'),
    };
  }
}
