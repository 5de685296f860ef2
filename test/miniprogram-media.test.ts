import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startFakeLlmServer, type FakeLlmServer } from './support/fake-llm-server.js';
import { magickImage, speechMp3 } from './support/real-media.js';
import { startGateway, type RunningGateway } from './support/start-gateway.js';
import { createWxEnvironment, type WxEnvironment } from './support/wx-shim.js';
import { plain, until } from './support/wait.js';

/**
 * The kit's photo and voice path (lib/media-client.js, voice-recorder.js, speech-player.js,
 * upload.js) under the wx shim against the real gateway: a real espeak-ng recording goes
 * record → upload → chat → chat_transcript → answer → play; real ImageMagick pictures go
 * pick → compress → upload → chat with images.
 */
const ROOT = join(import.meta.dirname, '..', 'miniprogram');
const QUESTION = '退货政策是什么';
const FAST = { reconnect: { delay: 20, factor: 2, maxDelay: 200, jitter: 0.5 } };
const QUICK_RETRY = { delay: 10, factor: 2, maxDelay: 40, jitter: 0 };

describe('mini-program kit: photos and voice against the real gateway', () => {
  let llm: FakeLlmServer;
  let gw: RunningGateway;
  let mp3: Buffer;
  const envs: WxEnvironment[] = [];

  before(async () => {
    mp3 = speechMp3(QUESTION);
    llm = await startFakeLlmServer({ apiKey: 'test-key', transcript: QUESTION });
    gw = await startGateway({
      llm,
      env: {
        ASR_BASE_URL: llm.baseUrl,
        ASR_API_KEY: 'test-key',
        TTS_BASE_URL: llm.baseUrl,
        TTS_API_KEY: 'test-key',
        UPLOAD_MAX_IMAGE_BYTES: '200000',
        USER_CHATS_PER_MINUTE: '0',
        USER_UPLOADS_PER_MINUTE: '0',
        KB_LOAD_SAMPLE: 'false',
      },
    });
  });
  after(async () => {
    for (const env of envs) env.app?.chat.stop();
    // the interrupted play leaves a speech download its player stopped reading: shutdown cuts
    // it after SHUTDOWN_GRACE_MS (test/shutdown-stragglers.test.ts)
    await gw.stop();
    await llm.close();
  });

  /** app.js with the test gateway, a logged-in chat client, and the kit's media parts */
  async function launch() {
    const env = createWxEnvironment({ root: ROOT });
    envs.push(env);
    env.launchApp(ROOT, { 'config.js': { wsUrl: gw.wsUrl, httpBaseUrl: gw.url, transport: 'socket', client: FAST } });
    const chat = env.app!.chat;
    await until(() => chat.state === 'ready', 'login');
    const wag = env.require('lib/index.js');
    const media = wag.createMediaClient(env.wx, { chat, baseUrl: gw.url, backoff: QUICK_RETRY });
    const answers: any[] = [];
    chat.on('answer', (a: any) => answers.push(plain(a)));
    const done = () => until(() => answers.some((a) => a.done), 'the answer');
    return { env, chat, wag, media, answers, done, final: () => answers.find((a) => a.done) };
  }

  it('record → upload (progress) → chat → chat_transcript → answer → play, with the recorder set to mp3 16 kHz mono', async () => {
    const { env, chat, wag, media, answers, done, final } = await launch();
    const transcripts: any[] = [];
    chat.on('transcript', (t: any) => transcripts.push({ ...plain(t), answersBefore: answers.filter((a) => a.text).length }));
    const recorded: any[] = [];
    const rec = wag.createVoiceRecorder(env.wx, { onRecorded: (f: unknown) => recorded.push(f) });
    env.media.setRecordPermission(undefined, true); // never asked: the prompt is accepted
    env.media.queueRecording(mp3, 2_400);
    rec.touchStart({ touches: [{ clientY: 600 }] });
    await until(() => env.media.recorderStarts.length === 1, 'recording starts');
    assert.deepEqual(env.media.recorderStarts[0], { format: 'mp3', sampleRate: 16000, numberOfChannels: 1, encodeBitRate: 48000, duration: 60000 });
    rec.touchMove({ touches: [{ clientY: 590 }] }); // a wobble, not a cancel
    rec.touchEnd({});
    await until(() => recorded.length === 1, 'the recording');

    const progress: number[] = [];
    const asked = llm.transcriptions.length;
    await media.askByVoice(recorded[0], (p: number) => progress.push(p));
    await done();
    assert.equal(progress.at(-1), 100, 'upload progress reaches 100');
    assert.deepEqual(llm.transcriptions[asked]!.file!.data, mp3, 'the recorded bytes reach the ASR provider unchanged');
    assert.deepEqual(transcripts.map((t) => [t.text, t.answersBefore]), [[QUESTION, 0]], 'the transcript comes before any answer text');
    const answer = final();
    assert.equal(answer.text, `收到：${QUESTION}`);
    assert.equal(answer.query, QUESTION, 'the transcript became the question');

    // play: a signed URL from /wechat/speech, fetched by InnerAudioContext
    const states: any[] = [];
    const player = wag.createSpeechPlayer(env.wx, { baseUrl: gw.url, sessionId: () => chat.session.sessionId, onState: (s: any) => states.push(plain(s)) });
    const synthesized = llm.speech.requests.length;
    player.play(answer.id);
    await until(() => env.media.plays.length === 1, 'the audio is fetched');
    const play = env.media.plays[0]!;
    assert.equal(play.status, 200);
    assert.match(play.contentType, /^audio\/mpeg/);
    assert.equal(play.bytes, llm.speech.audio.length, 'the whole MP3 came back');
    assert.match(play.src, /\/wechat\/speech\/[^/?]+\?t=/);
    assert.equal(llm.speech.requests.length, synthesized + 1);
    assert.ok(String(llm.speech.requests.at(-1)!.body.input).includes(QUESTION));
    await until(() => states.length === 2, 'ended');
    assert.deepEqual(states, [{ answerId: answer.id, playing: true }, { answerId: answer.id, playing: false }]);
  });

  it('image pick → compress → upload → chat with images: the model gets the pictures as image_url parts', async () => {
    const { env, chat, media, done, final } = await launch();
    env.media.queueImages([magickImage(320, 240, 'png'), magickImage(200, 200, 'jpg', 'xc:red')]);
    const paths: string[] = await media.pickImages(0);
    assert.equal(paths.length, 2);
    assert.equal(env.media.compressions.length, 2, 'each picked photo is compressed');
    const progress: Array<[number, number]> = [];
    const before = llm.visionRequests().length;
    await media.askWithImages('图里是什么？', paths, (i: number, p: number) => progress.push([i, p]));
    await done();
    assert.deepEqual([...new Set(progress.filter(([, p]) => p === 100).map(([i]) => i))], [0, 1]);
    assert.equal(final().text, '收到：图里是什么？');
    const sent = llm.visionRequests().slice(before);
    assert.equal(sent.length, 1);
    const user = (sent[0]!.body.messages as Array<{ role: string; content: unknown }>).filter((m) => m.role === 'user').at(-1)!;
    const parts = user.content as Array<{ type: string; image_url?: { url: string } }>;
    assert.deepEqual(parts.map((p) => p.type), ['text', 'image_url', 'image_url']);
    assert.ok(parts.slice(1).every((p) => p.image_url!.url.startsWith('data:image/jpeg;base64,')), 'compressed to JPEG');
    assert.ok(chat.session.sessionId);
    // a fifth photo is refused by the kit before anything is chosen
    await assert.rejects(media.pickImages(4), (e: any) => e.reason === 'too_many_images' && /最多/.test(e.text));
  });

  it('upload retries a dropped network with backoff; 413 and 415 are not retried and say what to do, in Chinese', async () => {
    const { env, media } = await launch();
    const png = magickImage(64, 64, 'png');
    env.media.queueImages([png]);
    const [path] = await media.pickImages(0);
    env.media.failUploads(2);
    const up = await media.upload(path);
    assert.equal(up.kind, 'image');
    assert.equal(env.media.uploads.length, 3, 'two dropped attempts, then the one that worked');

    // 415: a text file named like a picture (the server reads the bytes, not the name)
    const { writeFileSync } = await import('node:fs');
    const fake = `${path}.fake.png`;
    writeFileSync(fake, 'not a picture at all, just text');
    const sent = env.media.uploads.length;
    await assert.rejects(media.upload(fake), (e: any) => e.status === 415 && e.reason === 'unsupported_media_type' && /不支持的文件格式/.test(e.text));
    // 413: a picture over UPLOAD_MAX_IMAGE_BYTES (200 kB here), uncompressed
    const big = `${path}.big.png`;
    writeFileSync(big, magickImage(900, 900, 'png'));
    await assert.rejects(media.upload(big), (e: any) => e.status === 413 && e.reason === 'upload_too_large' && /文件太大/.test(e.text));
    assert.equal(env.media.uploads.length, sent + 2, 'neither was retried');
  });

  it('the demo page: hold-to-talk shows the transcript as the question, the answer gets a play button that plays it', async () => {
    const { env } = await launch();
    const page = env.openPage('pages/chat/chat');
    await until(() => page.data.statusText === '' && env.app!.chat.state === 'ready', 'page ready');
    env.media.setRecordPermission(true);
    env.media.queueRecording(mp3, 2_000);
    page.onToggleVoice();
    assert.equal(page.data.voiceMode, true);
    page.onVoiceStart({ touches: [{ clientY: 700 }] });
    await until(() => page.data.voiceState === 'recording', 'recording');
    assert.equal(page.data.voiceText, '松开 发送，上滑 取消');
    page.onVoiceEnd({});
    const user = () => page.data.messages.find((m: any) => m.role === 'user');
    const ai = () => page.data.messages.find((m: any) => m.role === 'ai');
    await until(() => ai() && !ai().streaming && ai().answerId, 'the answer on the page');
    assert.equal(user().text, QUESTION, 'the user row shows the transcript');
    assert.equal(user().voice, true);
    assert.equal(page.data.uploading, '', 'the upload status is gone');
    const plays = env.media.plays.length;
    page.onPlay({ currentTarget: { dataset: { id: ai().answerId } } });
    await until(() => page.data.playingId === ai().answerId, 'playing');
    await until(() => env.media.plays.length === plays + 1 && page.data.playingId === '', 'played to the end');
    assert.equal(env.media.plays.at(-1)!.status, 200);
    assert.ok(env.media.plays.at(-1)!.bytes > 0);
  });

  it('the demo page: two photos picked, sent with the question, shown as thumbnails on the user row', async () => {
    const { env } = await launch();
    const page = env.openPage('pages/chat/chat');
    await until(() => env.app!.chat.state === 'ready', 'page ready');
    env.media.queueImages([magickImage(120, 90, 'png'), magickImage(90, 120, 'png', 'xc:blue')]);
    page.onPickImages();
    await until(() => page.data.pendingImages.length === 2, 'two photos waiting');
    const uploads = env.media.uploads.length;
    page.onSend(); // no text: the default question goes with the photos
    const user = () => page.data.messages.find((m: any) => m.role === 'user');
    const ai = () => page.data.messages.find((m: any) => m.role === 'ai');
    await until(() => ai() && !ai().streaming && ai().answerId, 'the answer on the page');
    assert.equal(env.media.uploads.length, uploads + 2);
    assert.equal(user().images.length, 2);
    assert.ok(user().images.every((p: string) => p.endsWith('.jpg')), 'the thumbnails are the compressed photos');
    assert.equal(page.data.pendingImages.length, 0, 'the waiting photos were sent');
    assert.equal(user().text, '请看看这张图片');
    assert.match(JSON.stringify(plain(ai().nodes)), /收到：请看看这张图片/);
  });

  it('one answer plays at a time: playing another stops the first; tapping the playing one stops it', async () => {
    const { env, chat, wag, answers } = await launch();
    const ids: string[] = [];
    for (const q of ['第一个问题', '第二个问题']) {
      const n = answers.filter((a) => a.done).length;
      chat.chat(q);
      await until(() => answers.filter((a) => a.done).length === n + 1, q);
      ids.push(answers.filter((a) => a.done).at(-1).id);
    }
    const states: any[] = [];
    const player = wag.createSpeechPlayer(env.wx, { baseUrl: gw.url, sessionId: () => chat.session.sessionId, onState: (s: any) => states.push(plain(s)) });
    llm.speech.setPacing(8, 60); // ~0.5 s of streaming: long enough to interrupt
    try {
      const plays = env.media.plays.length;
      player.play(ids[0]);
      const started = env.media.started.length;
      await until(() => env.media.started.length > started && env.media.started.at(-1)!.bytes > 0, 'the first answer is heard');
      player.toggle(ids[1]);
      await until(() => env.media.plays.length === plays + 2, 'both plays settled', 10_000);
      const [first, second] = env.media.plays.slice(plays);
      assert.equal(first!.stopped, true, 'the first was stopped');
      assert.ok(first!.src.includes(ids[0]!));
      assert.equal(second!.stopped, false);
      assert.ok(second!.src.includes(ids[1]!));
      assert.equal(second!.bytes, llm.speech.audio.length);
      assert.deepEqual(states, [
        { answerId: ids[0], playing: true },
        { answerId: ids[0], playing: false },
        { answerId: ids[1], playing: true },
        { answerId: ids[1], playing: false },
      ]);
      player.play(ids[0]);
      await until(() => states.length === 5, 'playing again');
      player.toggle(ids[0]);
      assert.deepEqual(states.slice(5), [{ answerId: ids[0], playing: false }], 'the same button stops it');
    } finally {
      llm.speech.setPacing(1, 0);
      player.destroy();
      await env.media.settled();
    }
  });

  it('hold-to-talk: sliding up cancels, a too-short press is ignored, a denied microphone explains how to enable it', async () => {
    const { env, wag } = await launch();
    const recorded: any[] = [];
    const errors: string[] = [];
    const rec = wag.createVoiceRecorder(env.wx, { onRecorded: (f: unknown) => recorded.push(f), onError: (t: string) => errors.push(t) });
    env.media.setRecordPermission(true);

    env.media.queueRecording(mp3, 2_000);
    rec.touchStart({ touches: [{ clientY: 600 }] });
    await until(() => env.media.recorderStarts.length === 1, 'recording');
    rec.touchMove({ touches: [{ clientY: 450 }] }); // slid up
    rec.touchEnd({});
    await until(() => rec.phase === 'idle', 'the cancelled recording stopped');
    env.media.queueRecording(mp3, 300);
    rec.touchStart({ touches: [{ clientY: 600 }] });
    await until(() => env.media.recorderStarts.length === 2, 'second recording');
    rec.touchEnd({});
    await until(() => errors.length === 1, 'too short');
    assert.deepEqual(errors, ['说话时间太短']);
    assert.equal(recorded.length, 0, 'neither the cancelled nor the too-short recording is sent');
    await until(() => rec.phase === 'idle', 'idle again');

    env.media.setRecordPermission(false);
    rec.touchStart({ touches: [{ clientY: 600 }] });
    await until(() => errors.length === 2, 'denied');
    assert.match(errors[1]!, /设置.*麦克风/);
    assert.equal(env.media.recorderStarts.length, 2, 'no recording without permission');
  });
});
