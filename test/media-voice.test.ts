import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startFakeLlmServer, type FakeLlmServer } from './support/fake-llm-server.js';
import { magickImage, speechMp3, speechSilk } from './support/real-media.js';
import { startGateway, type RunningGateway } from './support/start-gateway.js';
import { uploadForm } from './support/upload-client.js';
import { until } from './support/wait.js';
import { WordChecker } from './support/word-checker.js';
import { WsTestClient } from './support/ws-test-client.js';

const QUESTION = '退货政策是什么';

/** POST /wechat/upload as wx.uploadFile would; returns the upload_id. */
async function upload(baseUrl: string, sessionId: string, data: Buffer): Promise<string> {
  const reply = await uploadForm(baseUrl, sessionId, [{ data }]);
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  return reply.body.data.upload_id as string;
}

describe('voice questions (real server, fake ASR + model, speech from espeak-ng)', () => {
  let llm: FakeLlmServer;
  let gw: RunningGateway;
  let mp3: Buffer;
  const checker = new WordChecker({ words: ['违禁词'] });

  before(async () => {
    mp3 = speechMp3(QUESTION);
    llm = await startFakeLlmServer({ apiKey: 'test-key', transcript: QUESTION });
    gw = await startGateway({
      llm,
      contentChecker: checker,
      contentSecurity: { mode: 'input', failOpen: false },
      env: { ASR_BASE_URL: llm.baseUrl, ASR_API_KEY: 'test-key', ASR_MODEL: 'FunAudioLLM/SenseVoiceSmall', ASR_TIMEOUT_MS: '1000', MAX_QUERY_CHARS: '50', USER_CHATS_PER_MINUTE: '0', USER_UPLOADS_PER_MINUTE: '0' },
    });
  });
  after(async () => {
    await gw.stop();
    await llm.close();
  });

  async function voice(code: string, data = mp3) {
    const { client, login } = await WsTestClient.loggedIn(gw.wsUrl, code);
    const openid = login.data.openid as string;
    const sessionId = login.data.session_id as string;
    const put = (bytes: Buffer) => upload(gw.url, sessionId, bytes);
    return { client, openid, put, upload: { id: await put(data) } };
  }

  it('chat_transcript arrives before the answer, and the transcript is the stored question', async () => {
    const { client, openid, upload } = await voice('voice_ok');
    const asked = llm.transcriptions.length;
    client.send({ type: 'chat', audio: upload.id, stream: true, request_id: 'a1' });
    const processing = await client.next();
    assert.equal(processing.type, 'chat_processing');
    const transcript = await client.next();
    assert.deepEqual([transcript.type, transcript.data, transcript.request_id], ['chat_transcript', { id: processing.data.id, text: QUESTION }, 'a1']);
    const response = await client.nextOf('chat_response');
    assert.ok(response.skipped.every((f) => f.type === 'chat_delta'), 'nothing but deltas between transcript and answer');
    assert.equal(response.data.msg, `收到：${QUESTION}`);

    const sent = llm.transcriptions[asked]!;
    assert.deepEqual([sent.fields.model, sent.file?.contentType, sent.file?.filename], ['FunAudioLLM/SenseVoiceSmall', 'audio/mpeg', 'voice.mp3']);
    assert.ok(sent.file?.data.equals(mp3), 'the recording reached the ASR service unchanged');

    const stored = await gw.stores.history.listRecent(openid, 10);
    assert.deepEqual(stored.map((m) => [m.role, m.content]), [['user', QUESTION], ['assistant', `收到：${QUESTION}`]]);
    assert.deepEqual(stored[0]!.attachments, [{ kind: 'audio', uploadId: upload.id }]);
    client.send({ type: 'history' });
    const history = await client.nextOf('history_response');
    assert.deepEqual([history.data.messages[0].content, history.data.messages[0].attachments], [QUESTION, [{ kind: 'audio', upload_id: upload.id }]]);
    const logged = gw.logs.find((line) => line.includes('voice question transcribed') && line.includes(upload.id));
    assert.ok(logged, 'the transcription is logged');
    assert.ok(!logged.includes(QUESTION), 'without what the user said');
    await client.close();
  });

  it('a WeChat silk recording is decoded to WAV before it goes to the provider', async () => {
    const { client, upload } = await voice('voice_silk', await speechSilk(QUESTION));
    client.send({ type: 'chat', audio: upload.id });
    const response = await client.nextOf('chat_response');
    assert.equal(response.code, 0, JSON.stringify(response));
    const sent = llm.transcriptions.at(-1)!;
    assert.deepEqual([sent.file?.contentType, sent.file?.data.toString('latin1', 8, 12)], ['audio/wav', 'WAVE']);
    await client.close();
  });

  it('an AMR recording is converted to WAV with ffmpeg (ASR_CONVERT_FORMATS=amr by default)', async () => {
    // AMR-NB 12.2 kbps frames after the RFC 4867 header: Debian's ffmpeg decodes AMR but has no encoder
    const amr = Buffer.concat([Buffer.from('#!AMR\n'), ...Array.from({ length: 150 }, (_, i) => Buffer.concat([Buffer.from([0x3c]), Buffer.alloc(31, i % 7)]))]);
    const { client, upload } = await voice('voice_amr', amr);
    client.send({ type: 'chat', audio: upload.id });
    const response = await client.nextOf('chat_response');
    assert.equal(response.code, 0, JSON.stringify(response));
    const sent = llm.transcriptions.at(-1)!;
    assert.deepEqual([sent.file?.contentType, sent.file?.filename, sent.file?.data.toString('latin1', 8, 12)], ['audio/wav', 'voice.wav', 'WAVE']);
    await client.close();
  });

  it('ASR that hangs, fails, returns garbage or hears nothing: a clear error and nothing stored', async () => {
    const { client, openid, upload, put } = await voice('voice_faults');
    const cases: Array<[() => void, number, string]> = [
      [() => llm.pushAsrFault({ hang: true }), 504, 'asr_timeout'],
      [() => llm.pushAsrFault({ status: 500 }), 502, 'asr_failed'],
      [() => llm.pushAsrFault({ garbage: true }), 502, 'asr_bad_response'],
      [() => llm.setTranscript('   '), 422, 'empty_transcript'],
    ];
    const modelCalls = llm.requests.length;
    for (const [arrange, code, reason] of cases) {
      arrange();
      client.send({ type: 'chat', audio: upload.id, request_id: reason });
      const error = await client.nextOf('error');
      assert.deepEqual([error.code, error.data.reason, error.request_id], [code, reason, reason], JSON.stringify(error));
      assert.ok(!error.message.includes('test-key'));
    }
    llm.setTranscript(QUESTION);
    assert.equal(llm.requests.length, modelCalls, 'the model was never asked');
    assert.equal(gw.logs.filter((line) => line.includes('transcription failed')).length >= 3, true);
    assert.ok(!gw.logs.some((line) => line.includes('test-key')), 'no key in any log line');
    assert.deepEqual(await gw.stores.history.listRecent(openid, 10), [], 'no question without a transcript');
    // another user's recording, or an image id
    const other = await voice('voice_faults_other');
    await other.client.close();
    const image = await put(magickImage(8, 8, 'png'));
    for (const id of [other.upload.id, image]) {
      client.send({ type: 'chat', audio: id });
      assert.deepEqual((await client.nextOf('error')).data.reason, 'upload_not_found');
    }
    await client.close();
  });

  it('a transcript goes through content security and the length limit like a typed question', async () => {
    const { client, openid, upload } = await voice('voice_blocked');
    llm.setTranscript('请告诉我违禁词怎么弄');
    try {
      const modelCalls = llm.requests.length;
      client.send({ type: 'chat', audio: upload.id, stream: true });
      assert.equal((await client.next()).type, 'chat_processing');
      assert.equal((await client.next()).type, 'chat_transcript');
      const response = await client.next();
      assert.deepEqual([response.type, response.code, response.data.reason], ['chat_response', 403, 'content_blocked']);
      assert.equal(llm.requests.length, modelCalls);
      const stored = await gw.stores.history.listRecent(openid, 10);
      assert.deepEqual(stored.map((m) => [m.content, m.status]), [['请告诉我违禁词怎么弄', 'blocked']]);
      assert.equal(checker.requests.at(-1)!.text, '请告诉我违禁词怎么弄');

      llm.setTranscript('很长的问题'.repeat(20));
      client.send({ type: 'chat', audio: upload.id });
      assert.equal((await client.nextOf('error')).data.reason, 'query_too_long');
    } finally {
      llm.setTranscript(QUESTION);
    }
    await client.close();
  });

  it('the seed\'s chat still needs query; audio and a typed query together are refused', async () => {
    const { client, upload } = await voice('voice_schema');
    client.send({ type: 'chat' });
    const missing = await client.nextOf('error');
    assert.equal(missing.message, '字段 query 无效：query 必须是字符串');
    client.send({ type: 'chat', query: '文字问题', audio: upload.id });
    assert.match((await client.nextOf('error')).message, /字段 audio 无效/);
    client.send({ type: 'chat', query: 123 });
    assert.equal((await client.nextOf('error')).message, '字段 query 无效：query 必须是字符串');
    await client.close();
  });

  it('a voice question while an answer is in flight is refused before it is transcribed', async () => {
    const { client, upload } = await voice('voice_busy');
    llm.pushFault({ hang: true });
    const questions = llm.requests.length;
    client.send({ type: 'chat', query: '第一个问题' });
    await client.nextOf('chat_processing');
    const asked = llm.transcriptions.length;
    client.send({ type: 'chat', audio: upload.id });
    assert.equal((await client.nextOf('error')).data.reason, 'chat_in_progress');
    assert.equal(llm.transcriptions.length, asked);
    // cancelled once the model has it, so the hang is not left queued for the next request
    await until(() => llm.requests.length > questions, 'the model received the first question');
    client.send({ type: 'cancel' });
    await client.nextOf('chat_response');
    await client.close();
  });

  it('POST /wechat/chat with stream: chat_transcript is the event after chat_processing', async () => {
    const { client, upload, openid } = await voice('voice_sse');
    await client.close();
    const response = await fetch(`${gw.url}/wechat/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ openid, audio: upload.id, stream: true }),
    });
    const events = (await response.text()).split('\n\n').filter(Boolean).map((e) => JSON.parse(e.replace(/^data: /, '')) as { type: string; data: any });
    assert.deepEqual(events.slice(0, 2).map((e) => e.type), ['chat_processing', 'chat_transcript']);
    assert.deepEqual(events[1]!.data, { id: events[0]!.data.id, text: QUESTION });
    assert.equal(events.at(-1)!.type, 'chat_response');
  });

  it('POST /wechat/chat: the transcript rides in the answer body', async () => {
    const { client, upload, openid } = await voice('voice_http');
    await client.close();
    const response = await fetch(`${gw.url}/wechat/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ openid, audio: upload.id }),
    });
    const body = (await response.json()) as { data: { transcript: string; msg: string } };
    assert.equal(response.status, 200);
    assert.deepEqual([body.data.transcript, body.data.msg], [QUESTION, `收到：${QUESTION}`]);
  });
});

describe('voice questions: not configured, and the daily seconds', () => {
  it('without ASR_BASE_URL a voice question gets asr_not_configured; the quota counts recorded seconds', async () => {
    const llm = await startFakeLlmServer({ apiKey: 'test-key' });
    const plain = await startGateway({ llm });
    const limited = await startGateway({ llm, env: { ASR_BASE_URL: llm.baseUrl, ASR_API_KEY: 'test-key', USER_ASR_SECONDS_PER_DAY: '2' } });
    try {
      const { client, login } = await WsTestClient.loggedIn(plain.wsUrl, 'voice_off');
      const recorded = await upload(plain.url, login.data.session_id, speechMp3('你好'));
      client.send({ type: 'chat', audio: recorded });
      const error = await client.nextOf('error');
      assert.deepEqual([error.code, error.data.reason, error.message], [503, 'asr_not_configured', '语音识别未开通，请用文字提问']);
      await client.close();

      // a ~2.5 s recording against 2 s a day: the first one is taken, the day is then used up
      const second = await WsTestClient.loggedIn(limited.wsUrl, 'voice_quota');
      const recording = await upload(limited.url, second.login.data.session_id, speechMp3(QUESTION));
      second.client.send({ type: 'chat', audio: recording });
      assert.equal((await second.client.nextOf('chat_response')).code, 0);
      const before = llm.transcriptions.length;
      second.client.send({ type: 'chat', audio: recording });
      const refused = await second.client.nextOf('error');
      assert.deepEqual([refused.code, refused.data.reason], [429, 'asr_quota_exceeded']);
      assert.ok(refused.data.retry_after >= 1);
      assert.equal(llm.transcriptions.length, before, 'refused before transcribing');
      await second.client.close();
    } finally {
      await plain.stop();
      await limited.stop();
      await llm.close();
    }
  });
});
