import assert from 'node:assert/strict';
import { it } from 'node:test';
import { loadConfig } from './config/load-config.js';
import { describeListenError, startupBanner } from './startup-messages.js';

it('explains the listen failures an operator can fix, in Chinese and English', () => {
  const taken = describeListenError(Object.assign(new Error('x'), { code: 'EADDRINUSE' }), '0.0.0.0', 8000);
  assert.match(taken!, /^端口 8000 已被占用.* \/ port 8000 on 0\.0\.0\.0 is already in use/);
  assert.match(describeListenError({ code: 'EACCES' }, '0.0.0.0', 80)!, /没有权限监听端口 80/);
  assert.equal(describeListenError(new Error('other'), '0.0.0.0', 8000), undefined);
});

it('prints a clickable address and the console URL when the console is on', () => {
  const dev = startupBanner(loadConfig({}));
  assert.match(dev, /http:\/\/localhost:8000 \(WebSocket: ws:\/\/localhost:8000\/wechat\/ws\)/);
  assert.match(dev, /控制台 \/ console: http:\/\/localhost:8000\/console/);
  const prod = startupBanner(loadConfig({ NODE_ENV: 'production', WECHAT_APPID: 'wx1', WECHAT_APP_SECRET: 's', HOST: '10.0.0.5' }), 9000);
  assert.match(prod, /http:\/\/10\.0\.0\.5:9000/);
  assert.doesNotMatch(prod, /console/);
});
