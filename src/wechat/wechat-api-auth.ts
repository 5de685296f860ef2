import type { Logger } from 'pino';
import { mapWechatErrcode } from './map-wechat-errcode.js';
import type { WechatAuth, WechatIdentity } from './wechat-auth.js';
import { WechatError } from './wechat-error.js';
import { callWechatJson } from './wechat-json.js';

export interface WechatApiAuthOptions {
  appId: string;
  appSecret: string;
  /** https://api.weixin.qq.com, or a loopback fake in tests */
  apiBase: string;
  timeoutMs: number;
  logger: Logger;
}

interface Code2SessionBody {
  openid?: string;
  unionid?: string;
  session_key?: string;
  errcode?: number;
  errmsg?: string;
}

/** Real login: `GET /sns/jscode2session`, server-side as WeChat requires. */
export class WechatApiAuth implements WechatAuth {
  readonly mode = 'wechat' as const;

  constructor(private readonly options: WechatApiAuthOptions) {}

  async code2Session(code: string): Promise<WechatIdentity> {
    // -1 is "system busy, retry later": one retry. Other errcodes are final — in particular a
    // code that reached WeChat must never be sent twice (40163 "code been used").
    for (let attempt = 1; ; attempt++) {
      const body = await this.request(code);
      // Success is "openid present": WeChat stopped sending errcode 0 on success.
      if (body.openid && body.session_key) {
        return { openid: body.openid, unionid: body.unionid || undefined, sessionKey: body.session_key };
      }
      const errcode = typeof body.errcode === 'number' ? body.errcode : NaN;
      this.options.logger.warn({ errcode, errmsg: body.errmsg, attempt }, 'code2session failed');
      if (errcode === -1 && attempt < 2) continue;
      throw new WechatError(mapWechatErrcode(errcode), `code2session errcode ${errcode}`);
    }
  }

  private async request(code: string): Promise<Code2SessionBody> {
    const url = new URL('/sns/jscode2session', this.options.apiBase);
    url.search = new URLSearchParams({
      appid: this.options.appId,
      secret: this.options.appSecret,
      js_code: code,
      grant_type: 'authorization_code',
    }).toString();
    try {
      return (await callWechatJson(url, undefined, AbortSignal.timeout(this.options.timeoutMs), 'code2session')) as Code2SessionBody;
    } catch (error) {
      // the URL holds the secret: the error's text never does
      this.options.logger.warn({ error: String(error) }, 'code2session request failed');
      throw error;
    }
  }
}
