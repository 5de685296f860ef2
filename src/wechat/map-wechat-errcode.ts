import type { WechatErrorKind } from './wechat-error.js';

/**
 * code2session errcode → our kind. Sources: the official code2Session page
 * (-1, 40029, 45011, 40226) and production reports (40163 "code been used"; 40013/40125
 * invalid appid/secret). See shared notes §1.3.
 */
export function mapWechatErrcode(errcode: number): WechatErrorKind {
  switch (errcode) {
    case -1:
      return 'busy';
    case 40029:
      return 'code_invalid';
    case 40163:
      return 'code_used';
    case 45011:
      return 'rate_limited';
    case 40226:
      return 'user_blocked';
    case 40013:
    case 40125:
    case 41002:
    case 41004:
      return 'config';
    default:
      return 'failed';
  }
}
