import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { speechCacheKey } from '../src/media/speech-service.js';
import { join } from 'node:path';
import { startFakeLlmServer, type FakeLlmServer } from './support/fake-llm-server.js';
import { ask, bearer, getSpeech, login } from './support/speech-client.js';
import { startGateway, type RunningGateway } from './support/start-gateway.js';

/** Files in DATA_DIR/speech other than the URL key: recordings and half-written temporaries. */
const speechFiles = (gw: RunningGateway) => readdirSync(join(gw.dataDir, 'speech')).filter((name) => name !== 'url-key');

/** Where an answer's recording is cached with the default model, voice and format. */
const recording = (gw: RunningGateway, id: string) => join(gw.dataDir, 'speech', `${speechCacheKey(id, 'tts-1', 'alloy', 'mp3')}.mp3`);
/** Lets a finished play's cache write (or its absence) happen: it follows the last byte. */
const settle = () => sleep(100);
/** Polls until `check` holds (the cache write follows the last byte; under load it may lag). */
async function eventually(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await sleep(10);
  assert.ok(check(), what);
}

/** Reads a streamed reply to the end; resolves with what arrived and whether the connection broke. */
async function readAll(url: string, headers: Record<string, string>): Promise<{ status: number; bytes: Buffer; broken: boolean }> {
  const response = await fetch(url, { headers });
  const parts: Buffer[] = [];
  try {
    for await (const part of response.body!) parts.push(Buffer.from(part));
    return { status: response.status, bytes: Buffer.concat(parts), broken: false };
  } catch {
    return { status: response.status, bytes: Buffer.concat(parts), broken: true };
  }
}

describe('spoken answers when the provider fails', () => {
  let llm: FakeLlmServer;
  let gw: RunningGateway;
  let user: { openid: string; sessionId: string };

  before(async () => {
    llm = await startFakeLlmServer({ apiKey: 'test-key' });
    assert.ok(llm.speech.audio.length > 1000, 'espeak-ng + ffmpeg made the MP3 before any deadline runs');
    llm.setReply(() => '第一句话在这里，有点长。第二句话也在这里，有点长。');
    gw = await startGateway({
      llm,
      env: { TTS_BASE_URL: llm.baseUrl, TTS_API_KEY: 'test-key', TTS_TIMEOUT_MS: '1000', TTS_MAX_CHARS_PER_REQUEST: '20', USER_CHATS_PER_MINUTE: '0' },
    });
    user = await login(gw.url, 'speech_faults');
  });
  after(async () => {
    await gw?.stop();
    await llm?.close();
  });

  const faults = [
    { fault: { status: 500 }, status: 502, reason: 'tts_error' },
    { fault: { status: 400, message: 'voice not found' }, status: 502, reason: 'tts_error' },
    { fault: { status: 401 as number, message: 'Incorrect API key' }, status: 502, reason: 'tts_error' },
    { fault: { garbage: 'json' as const }, status: 502, reason: 'tts_error' },
    { fault: { garbage: 'html' as const }, status: 502, reason: 'tts_error' },
    { fault: { garbage: 'not-mp3' as const }, status: 502, reason: 'tts_error' },
    { fault: { garbage: 'empty' as const }, status: 502, reason: 'tts_error' },
    { fault: { cutAfterBytes: 5 }, status: 502, reason: 'tts_error' },
    { fault: { hang: true as const }, status: 504, reason: 'tts_timeout' },
  ];
  for (const { fault, status, reason } of faults) {
    it(`${JSON.stringify(fault)} before any audio → ${status} ${reason} in Chinese, nothing cached, a later play retries`, async () => {
      const id = await ask(gw.url, user.sessionId, `问题 ${JSON.stringify(fault)}`);
      llm.speech.pushFault(fault);
      const failed = await getSpeech(gw.url, `/wechat/speech/${id}`, bearer(user.sessionId));
      assert.equal(failed.status, status);
      assert.equal(failed.json?.data.reason, reason);
      assert.match(failed.json!.message, /语音合成/);
      assert.doesNotMatch(JSON.stringify(failed.json), /test-key|voice not found|Incorrect/, 'the provider\'s words stay in the logs');
      await settle();
      assert.equal(existsSync(recording(gw, id)), false, 'nothing cached');
      assert.deepEqual(speechFiles(gw).filter((n) => n.endsWith('.tmp')), [], 'no temporary left behind');

      const before = llm.speech.requests.length;
      const retried = await getSpeech(gw.url, `/wechat/speech/${id}`, bearer(user.sessionId));
      assert.equal(retried.status, 200);
      assert.equal(llm.speech.requests.length - before, 2, 'synthesized afresh: nothing was kept of the failure');
      await eventually(() => existsSync(recording(gw, id)), 'the successful play is cached');
    });
  }

  it('aborts the download when the provider fails after audio went out, and caches nothing half-way', async () => {
    const id = await ask(gw.url, user.sessionId, '中途失败');
    const recordings = speechFiles(gw).length;
    assert.equal(existsSync(recording(gw, id)), false);
    // piece 1 arrives whole, piece 2 breaks mid-body
    llm.speech.pushFault({ ok: true });
    llm.speech.pushFault({ cutAfterBytes: 700 });
    const cut = await readAll(`${gw.url}/wechat/speech/${id}`, bearer(user.sessionId));
    assert.equal(cut.status, 200);
    assert.equal(cut.broken, true, 'the player sees a broken download, not a short complete file');
    assert.ok(cut.bytes.length >= llm.speech.audio.length, 'the first piece was streamed before the failure');
    await settle();
    assert.equal(speechFiles(gw).length, recordings, 'nothing cached, no temporary left behind');

    // piece 2 refused outright (500) after piece 1 was sent: aborted the same way
    llm.speech.pushFault({ ok: true });
    llm.speech.pushFault({ status: 503 });
    assert.equal((await readAll(`${gw.url}/wechat/speech/${id}`, bearer(user.sessionId))).broken, true);
    await settle();
    assert.equal(speechFiles(gw).length, recordings);

    const whole = await readAll(`${gw.url}/wechat/speech/${id}`, bearer(user.sessionId));
    assert.equal(whole.broken, false);
    assert.ok(whole.bytes.length > cut.bytes.length);
  });

  it('a provider that stalls mid-body times out and aborts the download', async () => {
    const id = await ask(gw.url, user.sessionId, '中途卡住');
    llm.speech.setPacing(2, 1_500);
    try {
      const stalled = await readAll(`${gw.url}/wechat/speech/${id}`, bearer(user.sessionId));
      assert.equal(stalled.status, 200);
      assert.equal(stalled.broken, true);
    } finally {
      llm.speech.setPacing(1, 0);
    }
  });
});
