/** Why a WeChat call failed, in our words; `protocol/to-app-error.ts` maps each to a catalogue reason. */
export type WechatErrorKind =
  | 'busy' // errcode -1: system busy (after our one retry)
  | 'code_invalid' // 40029: the code is wrong or expired
  | 'code_used' // 40163: the code was already exchanged
  | 'rate_limited' // 45011: too many logins for this user
  | 'user_blocked' // 40226: WeChat's risk control refused the user
  | 'config' // 40013/40125/41002/41004: our AppID or AppSecret is wrong — an operator problem
  | 'timeout' // no answer within WECHAT_TIMEOUT_MS
  | 'failed'; // anything else: HTTP error, unreadable body, unknown errcode

/** A WeChat call failed. The message (errcode, HTTP status) is for logs; clients see the kind's catalogue text. */
export class WechatError extends Error {
  override readonly name = 'WechatError';
  constructor(readonly kind: WechatErrorKind, message: string, options?: ErrorOptions) {
    super(message, options);
  }
}
