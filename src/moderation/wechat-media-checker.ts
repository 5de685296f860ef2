import { TOKEN_REJECTED_ERRCODES, type AccessTokenProvider } from '../wechat/access-token.js';
import { callWechatJson } from '../wechat/wechat-json.js';
import { WechatError } from '../wechat/wechat-error.js';

export interface WechatMediaCheckerOptions {
  tokens: AccessTokenProvider;
  /** https://api.weixin.qq.com, or a loopback fake in tests */
  apiBase: string;
  /** one submission's deadline, token fetch included, ms */
  timeoutMs: number;
}

/** media_type 2 = image; scene 2 = comment, the closest to a question in a chat (as for msgSecCheck) */
const IMAGE = 2;
const SCENE = 2;

/**
 * WeChat's mediaCheckAsync v2 (`POST /wxa/media_check_async`): hands WeChat an image URL to
 * fetch and check; the answer is only a `trace_id` — the verdict comes later as a
 * `wxa_media_check` push (wechat-push-route.ts). A rejected access token is refetched once;
 * any other errcode or transport failure is a WechatError (its message never has the URL).
 */
export class WechatMediaChecker {
  constructor(private readonly options: WechatMediaCheckerOptions) {}

  /** Submits one image; resolves with WeChat's trace_id. */
  async submit(mediaUrl: string, openid: string): Promise<string> {
    const { tokens, apiBase, timeoutMs } = this.options;
    const signal = AbortSignal.timeout(timeoutMs);
    for (let attempt = 1; ; attempt++) {
      const token = await tokens.get(signal);
      const url = new URL('/wxa/media_check_async', apiBase);
      url.searchParams.set('access_token', token);
      const body = { media_url: mediaUrl, media_type: IMAGE, version: 2, scene: SCENE, openid };
      const reply = await callWechatJson(url, body, signal, 'media_check_async');
      const errcode = typeof reply.errcode === 'number' ? reply.errcode : 0;
      if (errcode === 0 && typeof reply.trace_id === 'string' && reply.trace_id !== '') return reply.trace_id;
      if (TOKEN_REJECTED_ERRCODES.has(errcode) && attempt === 1) {
        await tokens.invalidate(token);
        continue;
      }
      throw new WechatError('failed', `media_check_async errcode ${errcode}`);
    }
  }
}
