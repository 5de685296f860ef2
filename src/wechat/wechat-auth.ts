/**
 * The login port: a `wx.login()` code → who the user is. Two drivers: the real WeChat API
 * (`wechat-api-auth.ts`) and the dev login (`dev-wechat-auth.ts`, no AppID needed).
 * Failures are `WechatError`s with a kind (mapped to the catalogue by protocol/to-app-error.ts);
 * no `errcode` leaves this folder except in a log field.
 */
export interface WechatIdentity {
  openid: string;
  unionid?: string;
  /** WeChat's session_key: server-side only, never sent or logged */
  sessionKey: string;
}

export interface WechatAuth {
  readonly mode: 'wechat' | 'dev';
  code2Session(code: string): Promise<WechatIdentity>;
}
