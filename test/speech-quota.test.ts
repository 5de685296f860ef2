import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startFakeLlmServer, type FakeLlmServer } from './support/fake-llm-server.js';
import { ask, bearer, getSpeech, login } from './support/speech-client.js';
import { startGateway, type RunningGateway } from './support/start-gateway.js';

describe('spoken answers: the daily character quota', () => {
  let llm: FakeLlmServer;
  let gw: RunningGateway;
  let now = Date.UTC(2026, 0, 5, 4, 0); // 12:00 in Shanghai
  const TTS_KEY = 'tts-secret-key-for-quota';

  before(async () => {
    // every answer speaks as "这是一句十个字的回答。": 11 characters
    llm = await startFakeLlmServer({ apiKey: TTS_KEY });
    assert.ok(llm.speech.audio.length > 1000, 'espeak-ng + ffmpeg made the MP3 before any deadline runs');
    llm.setReply(() => '这是一句十个字的回答。');
    gw = await startGateway({
      llm,
      env: { LLM_API_KEY: TTS_KEY, TTS_BASE_URL: llm.baseUrl, TTS_API_KEY: TTS_KEY, USER_TTS_CHARS_PER_DAY: '25', USER_CHATS_PER_MINUTE: '0' },
      limitsClock: () => now,
    });
  });
  after(async () => {
    await gw?.stop();
    await llm?.close();
  });

  it('counts synthesized characters, refuses past the limit with 429 in Chinese, and replays from cache for free', async () => {
    const user = await login(gw.url, 'speech_quota');
    const [first, second, third] = [await ask(gw.url, user.sessionId, '一'), await ask(gw.url, user.sessionId, '二'), await ask(gw.url, user.sessionId, '三')];

    // a failed synthesis gives its characters back: 11 + 11 fit in 25 only if this one is refunded
    llm.speech.pushFault({ status: 500 });
    assert.equal((await getSpeech(gw.url, `/wechat/speech/${first}`, bearer(user.sessionId))).status, 502);
    await sleep(50);
    assert.equal((await getSpeech(gw.url, `/wechat/speech/${first}`, bearer(user.sessionId))).status, 200);
    assert.equal((await getSpeech(gw.url, `/wechat/speech/${second}`, bearer(user.sessionId))).status, 200);

    const before = llm.speech.requests.length;
    const refused = await getSpeech(gw.url, `/wechat/speech/${third}`, bearer(user.sessionId));
    assert.equal(refused.status, 429);
    assert.equal(refused.json?.data.reason, 'tts_quota_exceeded');
    assert.equal(refused.json?.message, '今日语音播报额度已用完，请明天再来');
    assert.equal(refused.headers.get('retry-after'), String(12 * 3600), 'until midnight in Shanghai');
    assert.equal(llm.speech.requests.length, before, 'refused before any provider call');

    // the second play's recording is saved just after its last byte
    for (let i = 0; i < 500 && readdirSync(join(gw.dataDir, 'speech')).filter((n) => n.endsWith('.mp3')).length < 2; i++) await sleep(10);
    const replay = await getSpeech(gw.url, `/wechat/speech/${second}`, bearer(user.sessionId));
    assert.equal(replay.status, 200, 'a cached replay costs nothing');

    // another user has their own quota; the next day this one has theirs back
    const other = await login(gw.url, 'speech_quota_other');
    assert.equal((await getSpeech(gw.url, `/wechat/speech/${await ask(gw.url, other.sessionId, '四')}`, bearer(other.sessionId))).status, 200);
    now += 12 * 3_600_000;
    assert.equal((await getSpeech(gw.url, `/wechat/speech/${third}`, bearer(user.sessionId))).status, 200);
  });

  it('never writes the provider key into a log line', () => {
    assert.ok(gw.logs.length > 0);
    assert.equal(gw.logs.filter((line) => line.includes(TTS_KEY)).length, 0);
  });
});

describe('spoken answers without TTS_BASE_URL', () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startGateway();
  });
  after(async () => {
    await gw?.stop();
  });

  it('answers 501 tts_not_configured in Chinese on both routes', async () => {
    const user = await login(gw.url, 'speech_off');
    for (const [path, method] of [['/wechat/speech/some-answer', 'GET'], ['/wechat/speech/some-answer/url', 'POST']] as const) {
      const response = await getSpeech(gw.url, path, bearer(user.sessionId), method);
      assert.equal(response.status, 501, path);
      assert.equal(response.json?.data.reason, 'tts_not_configured');
      assert.match(response.json!.message, /未配置语音合成/);
    }
  });
});

describe('spoken answers: syntheses at once per process', () => {
  let llm: FakeLlmServer;
  let gw: RunningGateway;
  before(async () => {
    llm = await startFakeLlmServer({ apiKey: 'k' });
    assert.ok(llm.speech.audio.length > 1000);
    gw = await startGateway({ llm, env: { LLM_API_KEY: 'k', TTS_BASE_URL: llm.baseUrl, TTS_API_KEY: 'k', TTS_MAX_CONCURRENCY: '1', USER_CHATS_PER_MINUTE: '0' } });
  });
  after(async () => {
    await gw?.stop();
    await llm?.close();
  });

  it('refuses a new synthesis with 503 tts_busy while the limit is taken; joining the running one and cached replays still play', async () => {
    const user = await login(gw.url, 'speech_busy');
    const [first, second] = [await ask(gw.url, user.sessionId, '一'), await ask(gw.url, user.sessionId, '二')];
    llm.speech.setPacing(4, 150);
    try {
      const playing = getSpeech(gw.url, `/wechat/speech/${first}`, bearer(user.sessionId));
      // the first synthesis is running once the provider has its request
      for (let i = 0; i < 500 && llm.speech.requests.length === 0; i++) await sleep(10);
      const busy = await getSpeech(gw.url, `/wechat/speech/${second}`, bearer(user.sessionId));
      assert.equal(busy.status, 503);
      assert.equal(busy.json?.data.reason, 'tts_busy');
      assert.equal(busy.json?.message, '语音合成繁忙，请稍后再试');
      const joined = await getSpeech(gw.url, `/wechat/speech/${first}`, bearer(user.sessionId));
      assert.equal(joined.status, 200, 'the same answer joins the running synthesis');
      assert.equal((await playing).status, 200);
    } finally {
      llm.speech.setPacing(1, 0);
    }
    for (let i = 0; i < 500 && readdirSync(join(gw.dataDir, 'speech')).filter((n) => n.endsWith('.mp3')).length < 1; i++) await sleep(10);
    assert.equal((await getSpeech(gw.url, `/wechat/speech/${second}`, bearer(user.sessionId))).status, 200, 'free again');
    assert.equal(llm.speech.requests.length, 2, 'one synthesis per answer');
  });
});
