import type { Logger } from 'pino';
import type { Config } from '../config/config-schema.js';
import { CollapsingWechatAuth } from '../wechat/collapsing-wechat-auth.js';
import { DevWechatAuth } from '../wechat/dev-wechat-auth.js';
import { WechatApiAuth } from '../wechat/wechat-api-auth.js';
import type { WechatAuth } from '../wechat/wechat-auth.js';

/**
 * The real code2session with WECHAT_APPID/SECRET, else dev login (loadConfig refuses
 * production without them). Either way one code reaches WeChat once.
 */
export function createWechatAuth(config: Readonly<Config>, logger: Logger): WechatAuth {
  const { appId, appSecret, apiBase, timeoutMs } = config.wechat;
  const inner =
    appId && appSecret ? new WechatApiAuth({ appId, appSecret, apiBase, timeoutMs, logger }) : new DevWechatAuth();
  return new CollapsingWechatAuth(inner);
}
