import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { urlKeyFromSecret } from '../src/compose/create-speech.js';
import { id3v2Length } from '../src/media/tts/mp3-bytes.js';
import { SpeechUrlSigner } from '../src/media/speech-url-signer.js';
import { lastUserText, startFakeLlmServer, type FakeLlmServer } from './support/fake-llm-server.js';
import { ask, bearer, getSpeech, login } from './support/speech-client.js';
import { startGateway, type RunningGateway } from './support/start-gateway.js';

const SECRET = 'speech-test-secret-0123456789abcdef';
/** the model's answers: Markdown the voice must not read as such */
const ANSWERS: Record<string, string> = {
  配置: '## 配置步骤\n\n1. 打开**开发管理**[1]\n2. 填写 [socket 合法域名](https://mp.weixin.qq.com)\n\n```js\nwx.connectSocket({ url })\n```\n\n完成后重新编译。',
  短: '好的。',
};

const PIECES = 3;

/** Resolves once a recording is in the cache (it is saved just after the first play ends). */
async function cached(gw: RunningGateway, count = 1): Promise<void> {
  const dir = join(gw.dataDir, 'speech');
  for (let i = 0; i < 200; i++) {
    if (readdirSync(dir).filter((name) => name.endsWith('.mp3')).length >= count) return;
    await sleep(10);
  }
  throw new Error('the recording was never cached');
}

/** What the gateway must serve for `pieces` provider answers: each piece's MP3, ID3 tags after the first dropped. */
function expectedAudio(llm: FakeLlmServer, pieces: number): Buffer {
  const audio = llm.speech.audio;
  const tail = audio.subarray(id3v2Length(audio));
  return Buffer.concat([audio, ...Array.from({ length: pieces - 1 }, () => tail)]);
}

describe('spoken answers: GET /wechat/speech/{answer_id}', () => {
  let llm: FakeLlmServer;
  let gw: RunningGateway;
  let alice: { openid: string; sessionId: string };
  let bob: { openid: string; sessionId: string };
  let answerId: string;

  before(async () => {
    llm = await startFakeLlmServer({ apiKey: 'test-key' });
    assert.ok(llm.speech.audio.length > 1000, 'espeak-ng + ffmpeg made the MP3 before any deadline runs');
    llm.setReply((body) => ANSWERS[lastUserText(body)] ?? `收到：${lastUserText(body)}`);
    gw = await startGateway({
      llm,
      env: {
        TTS_BASE_URL: llm.baseUrl,
        TTS_API_KEY: 'test-key',
        TTS_MODEL: 'fake-tts',
        TTS_VOICE: 'zh-CN-XiaoxiaoNeural',
        TTS_MAX_CHARS_PER_REQUEST: '20',
        TTS_URL_SECRET: SECRET,
        USER_CHATS_PER_MINUTE: '0',
      },
    });
    alice = await login(gw.url, 'speech_alice');
    bob = await login(gw.url, 'speech_bob');
    answerId = await ask(gw.url, alice.sessionId, '配置');
  });
  after(async () => {
    await gw.stop();
    await llm.close();
  });

  it('streams the owner\'s answer as MP3, synthesized sentence by sentence from speakable text', async () => {
    const response = await getSpeech(gw.url, `/wechat/speech/${answerId}`, bearer(alice.sessionId));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'audio/mpeg');
    assert.equal(response.headers.get('content-length'), null, 'streamed as it arrives: no length known');
    assert.equal(response.headers.get('transfer-encoding'), 'chunked');

    const inputs = llm.speech.requests.map((r) => r.body.input!);
    // whole sentences packed up to 20 characters, the code block announced, link text kept, [1] gone
    assert.deepEqual(inputs, ['配置步骤。\n打开开发管理。', '填写 socket 合法域名。', '此处有代码，略过。\n完成后重新编译。']);
    for (const request of llm.speech.requests) {
      assert.equal(request.body.model, 'fake-tts');
      assert.equal(request.body.voice, 'zh-CN-XiaoxiaoNeural');
      assert.equal(request.body.response_format, 'mp3');
      assert.equal(request.headers.authorization, 'Bearer test-key');
    }
    assert.ok(response.bytes.equals(expectedAudio(llm, inputs.length)), 'the pieces back to back, inner ID3 tags dropped');

    // a real decoder reads the joined pieces as one file, about three times one piece long
    const file = join(gw.dataDir, 'played.mp3');
    writeFileSync(file, response.bytes);
    const probe = (path: string) => Number(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', path]).toString());
    writeFileSync(join(gw.dataDir, 'one.mp3'), llm.speech.audio);
    const one = probe(join(gw.dataDir, 'one.mp3'));
    assert.ok(Math.abs(probe(file) - 3 * one) < 0.5, `${probe(file)} s vs 3 × ${one} s`);
    await cached(gw);
  });

  it('serves a replay from the cache, with its length and byte ranges, and no second synthesis', async () => {
    const synthesized = llm.speech.requests.length;
    const replay = await getSpeech(gw.url, `/wechat/speech/${answerId}`, bearer(alice.sessionId));
    assert.equal(replay.status, 200);
    assert.equal(replay.headers.get('content-type'), 'audio/mpeg');
    assert.equal(replay.headers.get('accept-ranges'), 'bytes');
    const whole = expectedAudio(llm, PIECES);
    assert.equal(replay.headers.get('content-length'), String(whole.length));
    assert.ok(replay.bytes.equals(whole));

    const part = await getSpeech(gw.url, `/wechat/speech/${answerId}`, { ...bearer(alice.sessionId), range: 'bytes=100-299' });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 100-299/${whole.length}`);
    assert.ok(part.bytes.equals(whole.subarray(100, 300)));
    const tail = await getSpeech(gw.url, `/wechat/speech/${answerId}`, { ...bearer(alice.sessionId), range: 'bytes=-10' });
    assert.ok(tail.bytes.equals(whole.subarray(whole.length - 10)));
    const past = await getSpeech(gw.url, `/wechat/speech/${answerId}`, { ...bearer(alice.sessionId), range: `bytes=${whole.length}-` });
    assert.equal(past.status, 416);
    assert.equal(past.json?.data.reason, 'bad_range');
    assert.equal(past.headers.get('content-range'), `bytes */${whole.length}`);

    assert.equal(llm.speech.requests.length, synthesized, 'no provider call for a cached answer');
  });

  it('plays an answer only for its owner: another user, an unknown or malformed id read as not found', async () => {
    for (const [path, headers] of [
      [`/wechat/speech/${answerId}`, bearer(bob.sessionId)],
      ['/wechat/speech/00000000-0000-4000-8000-000000000000', bearer(alice.sessionId)],
      ['/wechat/speech/..%2F..%2Fetc%2Fpasswd', bearer(alice.sessionId)],
      ['/wechat/speech/%E4%BD%A0%E5%A5%BD', bearer(alice.sessionId)],
    ] as const) {
      const response = await getSpeech(gw.url, path, headers);
      assert.equal(response.status, 404, path);
      assert.equal(response.json?.data.reason, 'answer_not_found');
      assert.equal(response.json?.message, '找不到这条回答');
    }
    const anonymous = await getSpeech(gw.url, `/wechat/speech/${answerId}`);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.json?.data.reason, 'not_logged_in');
    const expired = await getSpeech(gw.url, `/wechat/speech/${answerId}`, bearer('not-a-session'));
    assert.equal(expired.json?.data.reason, 'session_expired');
    // the question's id is a message of the user, but not an answer
    const history = await gw.stores.history.listRecent(alice.openid, 10);
    const question = history.find((m) => m.role === 'user')!;
    assert.equal((await getSpeech(gw.url, `/wechat/speech/${question.id}`, bearer(alice.sessionId))).status, 404);
  });

  it('refuses answers that were stopped, failed or withdrawn (409), and ones with nothing to say (422)', async () => {
    const base = { role: 'assistant' as const, createdAt: Date.now() };
    for (const status of ['cancelled', 'failed', 'retracted'] as const) {
      await gw.stores.history.append(alice.openid, { ...base, id: `speech-${status}`, content: '部分回答。', status });
      const response = await getSpeech(gw.url, `/wechat/speech/speech-${status}`, bearer(alice.sessionId));
      assert.equal(response.status, 409, status);
      assert.equal(response.json?.data.reason, 'speech_unavailable');
      assert.match(response.json!.message, /无法朗读/);
    }
    await gw.stores.history.append(alice.openid, { ...base, id: 'speech-code-only', content: '<div>x</div>\n\n---', status: 'complete' });
    const empty = await getSpeech(gw.url, '/wechat/speech/speech-code-only', bearer(alice.sessionId));
    assert.equal(empty.status, 422);
    assert.equal(empty.json?.data.reason, 'speech_empty');
  });

  it('gives the owner a signed URL that plays without headers, for that answer only, until it expires', async () => {
    const issued = await getSpeech(gw.url, `/wechat/speech/${answerId}/url`, bearer(alice.sessionId), 'POST');
    assert.equal(issued.status, 200);
    assert.equal(issued.json?.code, 0);
    const { url, expires_at } = issued.json!.data;
    assert.match(url!, new RegExp(`^/wechat/speech/${answerId}\\?t=v1\\.[0-9a-z]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$`));
    assert.ok(expires_at! > Date.now() + 590_000 && expires_at! <= Date.now() + 601_000);
    assert.doesNotMatch(url!, new RegExp(alice.sessionId), 'the session never goes into a URL');

    const played = await getSpeech(gw.url, url!);
    assert.equal(played.status, 200);
    assert.ok(played.bytes.equals(expectedAudio(llm, PIECES)));

    const token = new URL(url!, gw.url).searchParams.get('t')!;
    const other = await ask(gw.url, alice.sessionId, '短');
    const elsewhere = await getSpeech(gw.url, `/wechat/speech/${other}?t=${token}`);
    assert.equal(elsewhere.status, 401);
    assert.equal(elsewhere.json?.data.reason, 'speech_url_invalid');
    const tampered = await getSpeech(gw.url, `${url!.slice(0, -2)}${url!.endsWith('AA') ? 'BB' : 'AA'}`);
    assert.equal(tampered.json?.data.reason, 'speech_url_invalid');
    assert.equal((await getSpeech(gw.url, `/wechat/speech/${answerId}?t=`)).json?.data.reason, 'speech_url_invalid');
    assert.equal((await getSpeech(gw.url, `/wechat/speech/${answerId}?t=a&t=b`)).json?.data.reason, 'speech_url_invalid');

    // the same key, a clock 11 minutes back: a genuine URL past its expiry
    const past = new SpeechUrlSigner(urlKeyFromSecret(SECRET), 600_000, () => Date.now() - 660_000);
    const expired = await getSpeech(gw.url, `/wechat/speech/${answerId}?t=${past.sign(answerId, alice.openid).token}`);
    assert.equal(expired.status, 401);
    assert.equal(expired.json?.data.reason, 'speech_url_expired');
    assert.match(expired.json!.message, /过期/);
    // a URL for bob's openid on alice's answer: signed by us, still not bob's answer
    const forBob = new SpeechUrlSigner(urlKeyFromSecret(SECRET), 600_000).sign(answerId, bob.openid).token;
    assert.equal((await getSpeech(gw.url, `/wechat/speech/${answerId}?t=${forBob}`)).status, 404);
  });

  it('issues URLs only to the owner of a playable answer', async () => {
    const notOwner = await getSpeech(gw.url, `/wechat/speech/${answerId}/url`, bearer(bob.sessionId), 'POST');
    assert.equal(notOwner.status, 404);
    assert.equal(notOwner.json?.data.reason, 'answer_not_found');
    const anonymous = await getSpeech(gw.url, `/wechat/speech/${answerId}/url`, {}, 'POST');
    assert.equal(anonymous.status, 401);
    const cancelled = await getSpeech(gw.url, '/wechat/speech/speech-cancelled/url', bearer(alice.sessionId), 'POST');
    assert.equal(cancelled.status, 409);
  });

  it('synthesizes once when several plays of a new answer start together, and each gets every byte', async () => {
    const fresh = await ask(gw.url, alice.sessionId, '配置');
    llm.speech.setPacing(4, 40);
    try {
      const before = llm.speech.requests.length;
      const plays = await Promise.all([1, 2, 3].map(() => getSpeech(gw.url, `/wechat/speech/${fresh}`, bearer(alice.sessionId))));
      const whole = expectedAudio(llm, PIECES);
      for (const play of plays) {
        assert.equal(play.status, 200);
        assert.ok(play.bytes.equals(whole));
      }
      assert.equal(llm.speech.requests.length - before, PIECES, 'one synthesis: three pieces, not nine');
    } finally {
      llm.speech.setPacing(1, 0);
    }
  });
});
