import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AppError } from './error-catalogue.js';
import { chatErrorFrame, httpBody, loginData, loginResponseFrame, processingFrame, retractFrame } from './server-frame.js';

describe('server frames keep the seed\'s shapes to the byte', () => {
  it('login_response.data: openid, unionid (only when present), session_id, in that order', () => {
    assert.equal(
      JSON.stringify(loginResponseFrame(loginData({ openid: 'o1', unionid: 'u1', sessionId: 's1' }))),
      '{"type":"login_response","code":0,"message":"登录成功","data":{"openid":"o1","unionid":"u1","session_id":"s1"}}',
    );
    assert.equal(JSON.stringify(loginData({ openid: 'o1', sessionId: 's1' })), '{"openid":"o1","session_id":"s1"}');
    assert.equal(
      JSON.stringify(httpBody(loginResponseFrame(loginData({ openid: 'o1', sessionId: 's1' })))),
      '{"code":0,"message":"登录成功","data":{"openid":"o1","session_id":"s1"}}',
    );
  });

  it('chat_processing for a seed client has data null; request_id only when sent', () => {
    assert.equal(JSON.stringify(processingFrame(null)), '{"type":"chat_processing","code":0,"message":"正在处理中...","data":null}');
    assert.equal(processingFrame({ id: 'a' }, 0).request_id, 0);
  });

  it('a failed answer puts reason first, then the answer fields', () => {
    const frame = chatErrorFrame(new AppError('model_error'), { msg: '半', id: 'a', session_id: null }, 'r');
    assert.equal(
      JSON.stringify(frame),
      '{"type":"chat_response","code":502,"message":"AI 服务暂时不可用，请稍后再试","data":{"reason":"model_error","msg":"半","id":"a","session_id":null},"request_id":"r"}',
    );
  });

  it('chat_retract carries the notice as message and in data, after the id', () => {
    assert.equal(
      JSON.stringify(retractFrame({ id: 'a', message: '已撤回' }, 7)),
      '{"type":"chat_retract","code":0,"message":"已撤回","data":{"id":"a","message":"已撤回"},"request_id":7}',
    );
  });
});
