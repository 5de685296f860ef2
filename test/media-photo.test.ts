import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { DirUploadStore } from './support/dir-upload-store.js';
import { imagePartsOf, startFakeLlmServer, type FakeLlmServer } from './support/fake-llm-server.js';
import { magickImage } from './support/real-media.js';
import { startGateway, type RunningGateway } from './support/start-gateway.js';
import { WsTestClient } from './support/ws-test-client.js';

type Message = { role: string; content: unknown };
const messagesOf = (llm: FakeLlmServer, index: number) => (llm.requests[index]!.body as { messages: Message[] }).messages;
const textOf = (content: unknown) => (typeof content === 'string' ? content : (content as Array<{ type: string; text?: string }>).filter((p) => p.type === 'text').map((p) => p.text).join(''));

describe('photo questions (real server, fake vision model, real images from ImageMagick)', () => {
  let llm: FakeLlmServer;
  let gw: RunningGateway;
  let uploads: DirUploadStore;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wag-uploads-'));
    uploads = new DirUploadStore(dir);
    llm = await startFakeLlmServer({ apiKey: 'test-key' });
    gw = await startGateway({ llm, uploads, env: { VISION_MODEL: 'fake-vl', USER_CHATS_PER_MINUTE: '0' } });
  });
  after(async () => {
    await gw.stop();
    await llm.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function login(code: string) {
    const { client, login } = await WsTestClient.loggedIn(gw.wsUrl, code);
    return { client, openid: login.data.openid as string };
  }

  it('the image reaches the vision model as an image_url part of its MIME type; history keeps the reference', async () => {
    const { client, openid } = await login('photo_1');
    const png = magickImage(64, 48, 'png');
    const upload = await uploads.put(openid, 'image', 'image/png', png);
    const before = llm.requests.length;
    client.send({ type: 'chat', query: '这张图里有什么？', images: [upload.id], stream: true, request_id: 'p1' });
    const response = await client.nextOf('chat_response');
    assert.equal(response.code, 0, JSON.stringify(response));
    const sent = llm.requests[before]!.body;
    assert.equal(sent.model, 'fake-vl', 'a request with images goes to VISION_MODEL');
    const user = (sent.messages as Message[]).at(-1)!;
    assert.deepEqual((user.content as Array<{ type: string }>).map((p) => p.type), ['text', 'image_url']);
    assert.equal(textOf(user.content), '这张图里有什么？');
    const [image] = imagePartsOf(sent);
    assert.equal(image!.mime, 'image/png');
    assert.ok(image!.data.equals(png), 'a small PNG is sent as it is');

    const stored = await gw.stores.history.listRecent(openid, 10);
    assert.deepEqual(stored[0]!.attachments, [{ kind: 'image', uploadId: upload.id }]);
    client.send({ type: 'history' });
    const history = await client.nextOf('history_response');
    assert.deepEqual(history.data.messages[0].attachments, [{ kind: 'image', upload_id: upload.id }]);

    // the conversation continues about the photo: the follow-up carries it again, to the vision model
    client.send({ type: 'chat', query: '它是什么颜色？' });
    await client.nextOf('chat_response');
    const followUp = llm.requests.at(-1)!.body;
    assert.equal(followUp.model, 'fake-vl');
    assert.equal(imagePartsOf(followUp).length, 1);
    assert.equal(textOf((followUp.messages as Message[]).at(-1)!.content), '它是什么颜色？');
    await client.close();
  });

  it('a text question without images stays on the chat model', async () => {
    const { client } = await login('photo_text');
    const before = llm.requests.length;
    client.send({ type: 'chat', query: '你好' });
    await client.nextOf('chat_response');
    assert.equal(llm.requests[before]!.body.model, 'deepseek-chat');
    assert.equal(typeof messagesOf(llm, before).at(-1)!.content, 'string', 'the seed shape: plain string content');
    await client.close();
  });

  it('a big photo is scaled to VISION_MAX_IMAGE_SIDE and a GIF becomes its first frame', async () => {
    const { client, openid } = await login('photo_big');
    const big = await uploads.put(openid, 'image', 'image/jpeg', magickImage(3000, 2000, 'jpg'));
    const gif = await uploads.put(openid, 'image', 'image/gif', magickImage(30, 20, 'gif', 'xc:blue'));
    client.send({ type: 'chat', query: '看看这两张', images: [big.id, gif.id] });
    const response = await client.nextOf('chat_response', 20_000);
    assert.equal(response.code, 0, JSON.stringify(response));
    const images = imagePartsOf(llm.requests.at(-1)!.body);
    assert.equal(images.length, 2);
    const sizes = await Promise.all(images.map(async (i) => ({ mime: i.mime, ...(await sharp(i.data).metadata()) })));
    assert.deepEqual(sizes.map((s) => [s.mime, s.format, s.width, s.height]), [
      ['image/jpeg', 'jpeg', 1568, 1045],
      ['image/jpeg', 'jpeg', 30, 20],
    ]);
    await client.close();
  });

  it('a question without text asks about the image', async () => {
    const { client, openid } = await login('photo_notext');
    const upload = await uploads.put(openid, 'image', 'image/webp', magickImage(32, 32, 'webp'));
    client.send({ type: 'chat', query: '', images: [upload.id] });
    assert.equal((await client.nextOf('chat_response')).code, 0);
    assert.equal(imagePartsOf(llm.requests.at(-1)!.body)[0]!.mime, 'image/webp');
    assert.equal((await gw.stores.history.listRecent(openid, 10))[0]!.content, '请看图片');
    await client.close();
  });

  it('refuses 5 images, another user\'s upload, an audio upload and a broken image — nothing stored, no model call', async () => {
    const { client, openid } = await login('photo_bad');
    const { openid: other } = await login('photo_other');
    const own = await Promise.all([1, 2, 3, 4, 5].map(() => uploads.put(openid, 'image', 'image/png', magickImage(8, 8, 'png'))));
    const theirs = await uploads.put(other, 'image', 'image/png', magickImage(8, 8, 'png'));
    const audio = await uploads.put(openid, 'audio', 'audio/mpeg', Buffer.alloc(100));
    const broken = await uploads.put(openid, 'image', 'image/png', magickImage(64, 64, 'png').subarray(0, 40));
    const before = llm.requests.length;
    const cases: Array<[string[], number, string]> = [
      [own.map((u) => u.id), 400, 'too_many_images'],
      [[theirs.id], 404, 'upload_not_found'],
      [['up_does_not_exist'], 404, 'upload_not_found'],
      [[audio.id], 404, 'upload_not_found'],
      [[broken.id], 422, 'image_invalid'],
    ];
    for (const [images, code, reason] of cases) {
      client.send({ type: 'chat', query: '看图', images, request_id: reason });
      const error = await client.nextOf('error');
      assert.deepEqual([error.code, error.data.reason, error.request_id], [code, reason, reason], JSON.stringify(error));
    }
    client.send({ type: 'chat', query: '看图', images: 'not-a-list' });
    assert.equal((await client.nextOf('error')).data.reason, 'bad_message');
    assert.equal(llm.requests.length, before);
    assert.deepEqual(await gw.stores.history.listRecent(openid, 10), []);
    await client.close();
  });

  it('an image that expired from an earlier question is dropped from the prompt with a note', async () => {
    const { client, openid } = await login('photo_expired');
    const upload = await uploads.put(openid, 'image', 'image/png', magickImage(16, 16, 'png', 'xc:green'));
    client.send({ type: 'chat', query: '这是什么', images: [upload.id] });
    await client.nextOf('chat_response');
    await uploads.remove(upload.id);
    client.send({ type: 'chat', query: '再说说' });
    const response = await client.nextOf('chat_response');
    assert.equal(response.code, 0);
    const sent = llm.requests.at(-1)!.body;
    assert.equal(imagePartsOf(sent).length, 0);
    assert.equal(sent.model, 'deepseek-chat', 'nothing to look at: the chat model answers');
    const earlier = (sent.messages as Message[]).find((m) => textOf(m.content).startsWith('这是什么'))!;
    assert.match(textOf(earlier.content), /图片已过期/);
    await client.close();
  });

  it('a model that refuses images gives vision_unsupported, not retried, not a 500', async () => {
    const { client, openid } = await login('photo_refused');
    const upload = await uploads.put(openid, 'image', 'image/png', magickImage(16, 16, 'png'));
    llm.setRefuseImages('Invalid content type. image_url is only supported by certain models.');
    try {
      const before = llm.requests.length;
      client.send({ type: 'chat', query: '这是什么', images: [upload.id], request_id: 'v1' });
      const response = await client.nextOf('chat_response');
      assert.deepEqual([response.code, response.data.reason], [422, 'vision_unsupported']);
      assert.equal(response.message, '当前 AI 模型不支持图片，请用文字提问或联系管理员配置视觉模型');
      assert.equal(llm.requests.length, before + 1, 'one request: a refusal is not retried');
    } finally {
      llm.setRefuseImages(undefined);
    }
    await client.close();
  });

  it('POST /wechat/chat takes images too', async () => {
    const { client, openid } = await login('photo_http');
    await client.close();
    const upload = await uploads.put(openid, 'image', 'image/jpeg', magickImage(20, 20, 'jpg'));
    const response = await fetch(`${gw.url}/wechat/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ openid, query: '图里是什么', images: [upload.id] }),
    });
    assert.equal(response.status, 200);
    assert.equal(imagePartsOf(llm.requests.at(-1)!.body)[0]!.mime, 'image/jpeg');
    const missing = await fetch(`${gw.url}/wechat/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ openid, query: '图里是什么', images: ['up_nope'] }),
    });
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { data: { reason: string } }).data.reason, 'upload_not_found');
  });
});

describe('photo questions without a model (offline mode)', () => {
  it('say clearly that images need a model', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wag-uploads-'));
    const uploads = new DirUploadStore(dir);
    const gw = await startGateway({ uploads });
    try {
      const { client, login } = await WsTestClient.loggedIn(gw.wsUrl, 'offline_photo');
      const upload = await uploads.put(login.data.openid, 'image', 'image/png', magickImage(8, 8, 'png'));
      client.send({ type: 'chat', query: '这是什么', images: [upload.id] });
      const error = await client.nextOf('error');
      assert.deepEqual([error.code, error.data.reason], [503, 'vision_not_configured']);
      assert.match(error.message, /未配置 AI 模型/);
      await client.close();
    } finally {
      await gw.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
