import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GateTimeoutError } from '../chat/concurrency-gate.js';
import { KbError } from '../knowledge-base/kb-error.js';
import { LlmError } from '../llm/llm-error.js';
import { StoreError } from '../store/store-error.js';
import { WechatError } from '../wechat/wechat-error.js';
import { AppError } from './error-catalogue.js';
import { toAppError } from './to-app-error.js';

describe('toAppError', () => {
  it('maps each driver error to its catalogue reason', () => {
    const cases: Array<[unknown, string]> = [
      [new WechatError('code_used', 'errcode 40163'), 'wechat_code_used'],
      [new WechatError('rate_limited', 'errcode 45011'), 'login_rate_limited'],
      [new WechatError('config', 'errcode 40125'), 'wechat_config_error'],
      [new WechatError('timeout', 'no answer'), 'wechat_timeout'],
      [new StoreError('redis down'), 'store_unavailable'],
      [new GateTimeoutError(), 'server_busy'],
      [new LlmError('timeout', 'slow'), 'model_timeout'],
      [new LlmError('bad_request', 'HTTP 401'), 'model_error'],
      [new LlmError('tools_unsupported', 'no tools'), 'model_error'],
      [new KbError('unsupported_type', '不支持「a.exe」'), 'kb_unsupported_type'],
    ];
    for (const [error, reason] of cases) assert.equal(toAppError(error).reason, reason, String(error));
  });

  it('keeps an AppError, and a KbError its Chinese detail; driver messages never reach the client', () => {
    const app = new AppError('empty_query');
    assert.equal(toAppError(app), app);
    assert.equal(toAppError(new KbError('parse_failed', '「坏.pdf」无法解析')).message, '「坏.pdf」无法解析');
    const mapped = toAppError(new WechatError('failed', 'code2session answered HTTP 500'));
    assert.equal(mapped.message, '微信登录服务异常，请稍后再试');
  });

  it('wraps anything else as internal_error, keeping it as the cause for logs', () => {
    const error = new TypeError('x is undefined');
    const mapped = toAppError(error);
    assert.deepEqual([mapped.reason, mapped.status, mapped.cause], ['internal_error', 500, error]);
    assert.equal(toAppError('a string').reason, 'internal_error');
  });
});
