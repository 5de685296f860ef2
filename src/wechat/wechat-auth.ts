/**
 * The login port: a `wx.login()` code → who the user is. Two drivers: the real WeChat API
 * (`wechat-api-auth.ts`) and the dev login (`dev-wechat-auth.ts`, no AppID needed).
 * Failures are `AppError`s with catalogue reasons; no `errcode` leaves this folder.
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
