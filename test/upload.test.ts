import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { makeMedia, type MediaFiles } from './support/make-media.js';
import { startGateway, type RunningGateway } from './support/start-gateway.js';
import { rawPost, sessionFor, uploadForm, wxUploadFile } from './support/upload-client.js';

/** Every accepted format, as real tools make it, and what the gateway must call it. */
const ACCEPTED: Array<[file: string, kind: 'image' | 'audio', mime: string]> = [
  ['x.png', 'image', 'image/png'],
  ['x.jpg', 'image', 'image/jpeg'],
  ['x.webp', 'image', 'image/webp'],
  ['x.gif', 'image', 'image/gif'],
  ['x.wav', 'audio', 'audio/wav'],
  ['x.mp3', 'audio', 'audio/mpeg'],
  ['x.m4a', 'audio', 'audio/mp4'],
  ['x.aac', 'audio', 'audio/aac'],
  ['x.amr', 'audio', 'audio/amr'],
  ['x.silk', 'audio', 'audio/silk'],
  ['plain.silk', 'audio', 'audio/silk'],
];

describe('POST /wechat/upload', () => {
  let media: MediaFiles;
  let gw: RunningGateway;
  let clock = Date.now();
  let alice: { sessionId: string; openid: string };
  let bob: { sessionId: string; openid: string };
  const uploadDir = () => join(gw.dataDir, 'uploads');
  const tempFiles = () => readdirSync(join(uploadDir(), 'tmp'));
  const storedFiles = () => readdirSync(uploadDir()).filter((name) => name !== 'tmp');

  before(async () => {
    media = await makeMedia();
    gw = await startGateway({
      uploadsClock: () => clock,
      env: { UPLOAD_MAX_IMAGE_BYTES: '200000', UPLOAD_MAX_AUDIO_BYTES: '2000000', USER_UPLOADS_PER_MINUTE: '1000', METRICS_TOKEN: 'metrics-secret' },
    });
    alice = await sessionFor(gw.url, 'alice_code');
    bob = await sessionFor(gw.url, 'bob_code');
  });
  after(async () => {
    await gw.stop();
    media.cleanup();
  });

  for (const [name, kind, mime] of ACCEPTED) {
    it(`stores a real ${name} as ${kind} ${mime}, readable by its owner only`, async () => {
      const original = media.file(name);
      // name and declared type say nothing true on purpose: only the bytes decide
      const reply = await uploadForm(gw.url, alice.sessionId, [{ data: original, name: 'whatever.bin', type: 'text/plain' }]);
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      assert.equal(reply.body.code, 0);
      assert.equal(reply.body.message, '上传成功');
      const { upload_id, kind: gotKind, bytes, mime: gotMime } = reply.body.data;
      assert.deepEqual([gotKind, gotMime, bytes], [kind, mime, original.length]);
      assert.match(upload_id, /^[A-Za-z0-9_-]{24}$/);
      if (kind === 'audio') assert.ok(reply.body.data.seconds > 1 && reply.body.data.seconds < 10, `seconds ${reply.body.data.seconds}`);

      const stored = await gw.uploads.get(alice.openid, upload_id);
      assert.ok(stored);
      assert.deepEqual([stored.kind, stored.mime, stored.bytes, stored.openid], [kind, mime, original.length, alice.openid]);
      assert.ok(stored.expiresAt - stored.createdAt === 24 * 3_600_000);
      assert.ok((await gw.uploads.read(stored)).equals(original));
      const streamed: Buffer[] = [];
      for await (const chunk of gw.uploads.open(stored)) streamed.push(chunk as Buffer);
      assert.ok(Buffer.concat(streamed).equals(original));
      assert.equal(await gw.uploads.get(bob.openid, upload_id), undefined, "another user's id is not found");
    });
  }

  it('takes the exact request wx.uploadFile makes (formData fields first, octet-stream, wxfile name)', async () => {
    const png = media.file('x.png');
    const reply = await wxUploadFile(gw.url, alice.sessionId, png, { formData: { user: 'test', purpose: 'chat', openid: bob.openid } });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    assert.equal(reply.body.data.kind, 'image');
    // a form field claiming another openid changes nothing: the session decides the owner
    assert.ok(await gw.uploads.get(alice.openid, reply.body.data.upload_id));
    assert.equal(await gw.uploads.get(bob.openid, reply.body.data.upload_id), undefined);
    const voice = await wxUploadFile(gw.url, alice.sessionId, media.file('x.silk'), { filename: 'wxfile://tmp_a81c3e.silk' });
    assert.equal(voice.body.data.mime, 'audio/silk');
    // the client's file name is never used: a path in it goes nowhere
    const sneaky = await wxUploadFile(gw.url, alice.sessionId, png, { filename: '../../gateway.sqlite' });
    assert.equal(sneaky.status, 200);
    assert.ok(storedFiles().includes(sneaky.body.data.upload_id));
    assert.ok(storedFiles().every((name) => /^[A-Za-z0-9_-]{24}$/.test(name)), 'only random ids in the upload directory');
  });

  it('refuses files whose bytes are not an accepted format (415), whatever their name or type', async () => {
    const text = await uploadForm(gw.url, alice.sessionId, [{ data: Buffer.from('这不是图片，只是一段文字。'.repeat(20)), name: 'photo.png', type: 'image/png' }]);
    assert.equal(text.status, 415);
    assert.equal(text.body.code, 415);
    assert.equal(text.body.data.reason, 'unsupported_media_type');
    assert.match(text.body.message, /PNG.*JPEG.*WebP.*GIF/);
    assert.match(text.body.message, /MP3.*AAC.*M4A.*WAV.*AMR.*SILK/);
    const html = await wxUploadFile(gw.url, alice.sessionId, Buffer.from('<!doctype html><html><script>alert(1)</script></html>'), { contentType: 'image/png' });
    assert.equal(html.status, 415);
    const pdf = await uploadForm(gw.url, alice.sessionId, [{ data: Buffer.from('%PDF-1.7\n' + 'x'.repeat(200)), name: 'a.jpg', type: 'image/jpeg' }]);
    assert.equal(pdf.status, 415);
    // an MP4 with video is an ISO file like M4A: the probe tells them apart
    assert.equal(media.file('video.mp4').toString('latin1', 4, 12), 'ftypisom');
    const video = await uploadForm(gw.url, alice.sessionId, [{ data: media.file('video.mp4'), name: 'voice.m4a', type: 'audio/mp4' }]);
    assert.equal(video.status, 415);
    assert.match(video.body.message, /视频/);
    assert.deepEqual(tempFiles(), [], 'no temp file left behind');
  });

  it('refuses empty and truncated files (400 upload_invalid)', async () => {
    const empty = await uploadForm(gw.url, alice.sessionId, [{ data: Buffer.alloc(0), name: 'empty.png' }]);
    assert.equal(empty.status, 400);
    assert.equal(empty.body.data.reason, 'upload_invalid');
    assert.match(empty.body.message, /空/);
    for (const name of ['x.png', 'x.gif', 'x.webp', 'x.wav', 'x.m4a', 'x.amr']) {
      const whole = media.file(name);
      const half = await uploadForm(gw.url, alice.sessionId, [{ data: whole.subarray(0, Math.floor(whole.length / 2)), name }]);
      assert.equal(half.status, 400, `${name} cut in half: ${JSON.stringify(half.body)}`);
      assert.equal(half.body.data.reason, 'upload_invalid');
      assert.match(half.body.message, /不完整|损坏/);
    }
    // a bare signature is not a picture
    const signature = await uploadForm(gw.url, alice.sessionId, [{ data: media.file('x.jpg').subarray(0, 4) }]);
    assert.equal(signature.status, 400);
    assert.deepEqual(tempFiles(), []);
  });

  it('refuses files over the limits (413) and says the limit', async () => {
    const before = storedFiles().length;
    const big = await uploadForm(gw.url, alice.sessionId, [{ data: media.file('noise.png'), name: 'big.png' }]);
    assert.equal(big.status, 413);
    assert.equal(big.body.data.reason, 'upload_too_large');
    assert.match(big.body.message, /图片太大，最大 196 KB/);
    for (const name of ['long.wav', 'long.mp3']) {
      const long = await uploadForm(gw.url, alice.sessionId, [{ data: media.file(name), name }]);
      assert.equal(long.status, 413, name);
      assert.match(long.body.message, /语音太长（61 秒），最长 60 秒/);
    }
    // declared far over any limit: refused before the body is read
    const huge = await rawPost(gw.url, Buffer.alloc(3_000_000), {
      'content-type': 'multipart/form-data; boundary=x',
      authorization: `Bearer ${alice.sessionId}`,
    });
    assert.equal(huge.status, 413);
    assert.equal(storedFiles().length, before, 'nothing stored');
    assert.deepEqual(tempFiles(), []);
  });

  it('refuses two files, a missing file field, and bodies that are not multipart', async () => {
    const png = media.file('x.png');
    const two = await uploadForm(gw.url, alice.sessionId, [{ data: png }, { data: png }]);
    assert.equal(two.status, 400);
    assert.match(two.body.message, /一次只能上传一个文件/);
    const other = await uploadForm(gw.url, alice.sessionId, [{ field: 'image', data: png }]);
    assert.equal(other.status, 400);
    assert.match(other.body.message, /file/);
    const fieldsOnly = await uploadForm(gw.url, alice.sessionId, [], { name: 'x' });
    assert.equal(fieldsOnly.status, 400);
    assert.equal(fieldsOnly.body.data.reason, 'upload_invalid');
    const json = await fetch(`${gw.url}/wechat/upload`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${alice.sessionId}` },
      body: JSON.stringify({ file: png.toString('base64') }),
    });
    assert.equal(json.status, 415);
    assert.match(((await json.json()) as any).message, /multipart\/form-data/);
    const raw = await rawPost(gw.url, png, { 'content-type': 'image/png', authorization: `Bearer ${alice.sessionId}` });
    assert.equal(raw.status, 415);
    assert.equal(raw.body.data.reason, 'unsupported_media_type');
    const broken = await rawPost(gw.url, Buffer.from('--x\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\n\x89PNG'), {
      'content-type': 'multipart/form-data; boundary=x',
      authorization: `Bearer ${alice.sessionId}`,
    });
    assert.equal(broken.status, 400, 'a body that ends mid-part');
    const noBoundary = await rawPost(gw.url, png, { 'content-type': 'multipart/form-data', authorization: `Bearer ${alice.sessionId}` });
    assert.equal(noBoundary.status, 400);
    const manyFields = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`f${i}`, 'v']));
    const crowded = await uploadForm(gw.url, alice.sessionId, [{ data: png }], manyFields);
    assert.equal(crowded.status, 400, 'more form fields than wx.uploadFile ever sends');
    assert.equal(crowded.body.data.reason, 'upload_invalid');
    assert.deepEqual(tempFiles(), []);
    // multipart still means 415 everywhere else: the parser exists for the upload route only
    const form = new FormData();
    form.append('query', '你好');
    const chat = await fetch(`${gw.url}/wechat/chat`, { method: 'POST', body: form });
    assert.equal(chat.status, 415);
  });

  it('a client that hangs up mid-file leaves nothing behind', async () => {
    const before = storedFiles().length;
    const boundary = 'abortboundary';
    const req = request(`${gw.url}/wechat/upload`, {
      method: 'POST',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, authorization: `Bearer ${alice.sessionId}` },
    });
    req.on('error', () => {}); // we hang up ourselves
    req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n\r\n`);
    req.write(media.file('x.wav').subarray(0, 100_000));
    for (let i = 0; tempFiles().length === 0; i++) {
      assert.ok(i < 200, 'the server started writing the file');
      await sleep(20);
    }
    req.destroy();
    for (let i = 0; tempFiles().length > 0; i++) {
      assert.ok(i < 200, 'the temp file is removed once the server sees the hang-up');
      await sleep(20);
    }
    assert.equal(storedFiles().length, before);
  });

  it('needs a live session (401)', async () => {
    const anonymous = await uploadForm(gw.url, undefined, [{ data: media.file('x.png') }]);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.body.data.reason, 'not_logged_in');
    const unknown = await uploadForm(gw.url, 'no-such-session', [{ data: media.file('x.png') }]);
    assert.equal(unknown.status, 401);
    assert.equal(unknown.body.data.reason, 'session_expired');
    // a session that existed and ran out: written to the real store with its expiry passed
    const now = Date.now();
    await gw.stores.sessions.put({ sessionId: 'sess_ran_out_0123456789', openid: alice.openid, sessionKey: 'k', createdAt: now - 8 * 86_400_000, expiresAt: now - 1 });
    const expired = await uploadForm(gw.url, 'sess_ran_out_0123456789', [{ data: media.file('x.png') }]);
    assert.equal(expired.status, 401);
    assert.equal(expired.body.data.reason, 'session_expired');
    const basic = await rawPost(gw.url, Buffer.from('x'), { 'content-type': 'multipart/form-data; boundary=x', authorization: `Basic ${Buffer.from('a:b').toString('base64')}` });
    assert.equal(basic.status, 401);
    assert.deepEqual(tempFiles(), []);
  });

  it('forgets uploads when they expire: get answers undefined, the sweep deletes file and record', async () => {
    const reply = await uploadForm(gw.url, alice.sessionId, [{ data: media.file('x.gif') }]);
    const id = reply.body.data.upload_id as string;
    assert.ok(storedFiles().includes(id));
    assert.equal(await gw.uploads.get(alice.openid, 'x'.repeat(24)), undefined, 'unknown id');
    assert.equal(await gw.uploads.get(alice.openid, '../../gateway.sqlite'), undefined, 'not an id');
    clock += 24 * 3_600_000 + 1;
    try {
      assert.equal(await gw.uploads.get(alice.openid, id), undefined, 'expired');
      const removed = await gw.uploads.sweepExpired();
      assert.ok(removed >= 1);
      assert.equal(storedFiles().includes(id), false, 'its file is gone');
    } finally {
      clock -= 24 * 3_600_000 + 1;
    }
    assert.equal(await gw.uploads.get(alice.openid, id), undefined, 'its record is gone too (the clock went back)');
  });

  it('counts uploads by kind and refusals by reason in /metrics', async () => {
    const response = await fetch(`${gw.url}/metrics`, { headers: { authorization: 'Bearer metrics-secret' } });
    const text = await response.text();
    assert.match(text, /wag_uploads_total\{kind="image"\} [1-9]/);
    assert.match(text, /wag_uploads_total\{kind="audio"\} [1-9]/);
    assert.match(text, /wag_upload_refusals_total\{reason="unsupported_media_type"\} [1-9]/);
    assert.match(text, /wag_upload_refusals_total\{reason="upload_too_large"\} [1-9]/);
    assert.match(text, /wag_upload_bytes_total\{kind="image"\} [1-9]/);
  });
});
