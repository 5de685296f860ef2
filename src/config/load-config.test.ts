import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'dotenv';
import { DEFAULT_SYSTEM_PROMPT } from './config-schema.js';
import { envTable } from './env-table.js';
import { ConfigError, loadConfig } from './load-config.js';

describe('loadConfig', () => {
  it('has the seed\'s defaults: 0.0.0.0:8000, SQLite in ./data, no Redis, offline, dev login', () => {
    const config = loadConfig({});
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.port, 8000);
    assert.equal(config.dataDir, './data');
    assert.equal(config.redisUrl, undefined);
    assert.equal(config.llm.baseUrl, undefined);
    assert.equal(config.wechat.appId, undefined);
    assert.equal(config.wechat.apiBase, 'https://api.weixin.qq.com');
    assert.equal(config.chat.maxQueryChars, 2000);
    assert.equal(config.ws.maxFrameBytes, 65536);
    assert.equal(config.session.ttlSeconds, 7 * 24 * 3600);
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.llm));
  });

  it('.env.example documents every variable, and loads as the defaults', () => {
    const example = parse(readFileSync(new URL('../../.env.example', import.meta.url)));
    assert.deepEqual(Object.keys(example).sort(), Object.keys(envTable).sort());
    const fromExample = loadConfig(example);
    assert.deepEqual(fromExample, loadConfig({}));
    assert.equal(fromExample.llm.systemPrompt, DEFAULT_SYSTEM_PROMPT);
  });

  it('names the variable in one message when a value is bad', () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ PORT: 'eighty' }, /^invalid configuration — PORT: /],
      [{ PORT: '70000' }, /PORT/],
      [{ LLM_BASE_URL: 'ftp://x' }, /LLM_BASE_URL/],
      [{ REDIS_URL: 'localhost' }, /REDIS_URL/],
      [{ TRUST_PROXY: 'sometimes' }, /TRUST_PROXY/],
      [{ NODE_ENV: 'staging' }, /NODE_ENV/],
      [{ NODE_ENV: 'production' }, /^WECHAT_APPID is required when NODE_ENV=production$/],
      [{ NODE_ENV: 'production', WECHAT_APPID: 'wx1' }, /^WECHAT_APP_SECRET is required when NODE_ENV=production$/],
      [{ WECHAT_APPID: 'wx1' }, /WECHAT_APP_SECRET is required when WECHAT_APPID is set/],
    ];
    for (const [env, message] of cases) {
      assert.throws(() => loadConfig(env), (error: unknown) => error instanceof ConfigError && message.test(error.message), JSON.stringify(env));
    }
  });

  it('content security: on (both) with an AppID and secret, off without, open on failure by default', () => {
    assert.equal(loadConfig({}).contentSecurity.mode, 'off');
    const withApp = loadConfig({ WECHAT_APPID: 'wx1', WECHAT_APP_SECRET: 's' }).contentSecurity;
    assert.deepEqual({ ...withApp }, { mode: 'both', fail: 'open', timeoutMs: 3000 });
    const set = loadConfig({ CONTENT_SECURITY: 'input', CONTENT_SECURITY_FAIL: 'closed', CONTENT_SECURITY_TIMEOUT_MS: '800' }).contentSecurity;
    assert.deepEqual([set.mode, set.fail, set.timeoutMs], ['input', 'closed', 800]);
    assert.throws(() => loadConfig({ CONTENT_SECURITY: 'all' }), /CONTENT_SECURITY/);
  });

  it('reads overrides, with units as documented', () => {
    const config = loadConfig({ PORT: '9000', HISTORY_TURNS: '5', REDIS_URL: 'redis://127.0.0.1:6379/2', TRUST_PROXY: 'true', LLM_MAX_TOKENS: '512' });
    assert.equal(config.port, 9000);
    assert.equal(config.chat.historyTurns, 5);
    assert.equal(config.redisUrl, 'redis://127.0.0.1:6379/2');
    assert.equal(config.trustProxy, true);
    assert.equal(config.llm.maxTokens, 512);
  });

  it('streams through the lean HTTP client unless LLM_HTTP_CLIENT=sdk', () => {
    assert.equal(loadConfig({}).llm.httpClient, 'http');
    assert.equal(loadConfig({ LLM_HTTP_CLIENT: 'sdk' }).llm.httpClient, 'sdk');
    assert.throws(() => loadConfig({ LLM_HTTP_CLIENT: 'fetch' }), (e: unknown) => e instanceof ConfigError && e.message.includes('LLM_HTTP_CLIENT'));
  });

  it('production turns off what is only for trying the gateway out, unless asked for', () => {
    const prod = { NODE_ENV: 'production', WECHAT_APPID: 'wx1', WECHAT_APP_SECRET: 's' };
    const dev = loadConfig({});
    assert.equal(dev.consoleEnabled, true);
    assert.equal(dev.kb.loadSample, true);
    const production = loadConfig(prod);
    assert.equal(production.consoleEnabled, false, 'the console offers dev login');
    assert.equal(production.kb.loadSample, false, 'a customer bot never answers from our sample documents');
    const chosen = loadConfig({ ...prod, CONSOLE_ENABLED: 'true', KB_LOAD_SAMPLE: 'true' });
    assert.equal(chosen.consoleEnabled, true);
    assert.equal(chosen.kb.loadSample, true);
    assert.equal(loadConfig({ CONSOLE_ENABLED: 'false' }).consoleEnabled, false);
  });

  it('limits HTTP bodies separately from WebSocket frames', () => {
    const config = loadConfig({ WS_MAX_FRAME_BYTES: '2048', HTTP_MAX_BODY_BYTES: '1048576' });
    assert.equal(config.ws.maxFrameBytes, 2048);
    assert.equal(config.http.maxBodyBytes, 1048576);
    assert.equal(loadConfig({ WS_MAX_FRAME_BYTES: '2048' }).http.maxBodyBytes, 65536);
    assert.throws(() => loadConfig({ HTTP_MAX_BODY_BYTES: '10' }), /HTTP_MAX_BODY_BYTES/);
  });

  it('WORKERS: 1 by default, a number or auto, and more than one only with REDIS_URL (one bilingual line)', () => {
    assert.equal(loadConfig({}).workers, 1);
    const redis = { REDIS_URL: 'redis://127.0.0.1:6379' };
    assert.equal(loadConfig({ ...redis, WORKERS: '4' }).workers, 4);
    assert.equal(loadConfig({ ...redis, WORKERS: 'auto' }).workers, 'auto');
    assert.equal(loadConfig({ WORKERS: '1' }).workers, 1, 'one worker is today\'s single process: no Redis needed');
    assert.throws(() => loadConfig({ WORKERS: '2' }), /ConfigError: WORKERS=2 需要 REDIS_URL.*\/ WORKERS=2 requires REDIS_URL/);
    assert.throws(() => loadConfig({ WORKERS: 'auto' }), /WORKERS=auto requires REDIS_URL/);
    assert.throws(() => loadConfig({ ...redis, WORKERS: '0' }), /WORKERS/);
    assert.throws(() => loadConfig({ ...redis, WORKERS: 'many' }), /WORKERS/);
  });

  it('Redis: Sentinel and Cluster URLs, history retention with its defaults, prefix without braces', () => {
    const sentinel = loadConfig({ REDIS_URL: 'redis+sentinel://s1:26379,s2:26379/mymaster' });
    assert.equal(sentinel.redisUrl, 'redis+sentinel://s1:26379,s2:26379/mymaster');
    assert.ok(loadConfig({ REDIS_URL: 'redis+cluster://n1:7000,n2:7001' }).redisUrl);
    assert.throws(() => loadConfig({ REDIS_URL: 'redis+sentinel://s1:26379' }), /REDIS_URL: names no master/);
    const defaults = loadConfig({});
    assert.equal(defaults.redisHistoryMaxMessages, 200);
    assert.equal(defaults.redisHistoryTtlDays, 30);
    const set = loadConfig({ REDIS_HISTORY_MAX_MESSAGES: '50', REDIS_HISTORY_TTL_DAYS: '0' });
    assert.equal(set.redisHistoryMaxMessages, 50);
    assert.equal(set.redisHistoryTtlDays, 0);
    assert.throws(() => loadConfig({ REDIS_KEY_PREFIX: 'a{b}:' }), /REDIS_KEY_PREFIX/);
    assert.throws(
      () => loadConfig({ REDIS_URL: 'redis://127.0.0.1', REDIS_HISTORY_MAX_MESSAGES: '30', HISTORY_TURNS: '20' }),
      /REDIS_HISTORY_MAX_MESSAGES must be at least 2 × HISTORY_TURNS \+ 1 \(41\)/,
    );
  });
});
