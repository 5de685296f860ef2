import type { ErrorReason } from '../protocol/error-catalogue.js';

/**
 * code2session errcode → catalogue reason. Sources: the official code2Session page
 * (-1, 40029, 45011, 40226) and production reports (40163 "code been used"; 40013/40125
 * invalid appid/secret). See shared notes §1.3.
 */
export function mapWechatErrcode(errcode: number): ErrorReason {
  switch (errcode) {
    case -1:
      return 'wechat_busy';
    case 40029:
      return 'wechat_code_invalid';
    case 40163:
      return 'wechat_code_used';
    case 45011:
      return 'login_rate_limited';
    case 40226:
      return 'wechat_user_blocked';
    case 40013:
    case 40125:
    case 41002:
    case 41004:
      return 'wechat_config_error';
    default:
      return 'wechat_error';
  }
}
