import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { imagePartsOf, startFakeLlmServer, type FakeLlmServer } from './support/fake-llm-server.js';
import { magickImage, speechMp3 } from './support/real-media.js';
import { startGateway, type RunningGateway } from './support/start-gateway.js';
import { uploadForm } from './support/upload-client.js';
import { WsTestClient } from './support/ws-test-client.js';

type Message = { role: string; content: unknown };
const messagesOf = (llm: FakeLlmServer, index: number) => (llm.requests[index]!.body as { messages: Message[] }).messages;
const textOf = (content: unknown) => (typeof content === 'string' ? content : (content as Array<{ type: string; text?: string }>).filter((p) => p.type === 'text').map((p) => p.text).join(''));

/** POST /wechat/upload as wx.uploadFile would; returns the upload_id. */
async function upload(baseUrl: string, sessionId: string, data: Buffer): Promise<string> {
  const reply = await uploadForm(baseUrl, sessionId, [{ data }]);
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  return reply.body.data.upload_id as string;
}

/** A PNG whose pixel data is garbage, with an intact header and end: accepted as an upload, undecodable. */
function corruptPng(png: Buffer): Buffer {
  const out = Buffer.from(png);
  const idat = out.indexOf('IDAT');
  out.fill(0x5a, idat + 4, Math.min(idat + 200, out.length - 12));
  return out;
}

describe('photo questions (real server and upload route, fake vision model, real images from ImageMagick)', () => {
  let llm: FakeLlmServer;
  let gw: RunningGateway;
  /** the uploads' clock: a test moves it past their expiry */
  let shift = 0;

  before(async () => {
    llm = await startFakeLlmServer({ apiKey: 'test-key' });
    gw = await startGateway({ llm, uploadsClock: () => Date.now() + shift, env: { VISION_MODEL: 'fake-vl', USER_CHATS_PER_MINUTE: '0', USER_UPLOADS_PER_MINUTE: '0' } });
  });
  after(async () => {
    await gw.stop();
    await llm.close();
  });

  async function login(code: string) {
    const { client, login } = await WsTestClient.loggedIn(gw.wsUrl, code);
    const sessionId = login.data.session_id as string;
    return { client, openid: login.data.openid as string, put: (data: Buffer) => upload(gw.url, sessionId, data) };
  }

  it('the image reaches the vision model as an image_url part of its MIME type; history keeps the reference', async () => {
    const { client, openid, put } = await login('photo_1');
    const png = magickImage(64, 48, 'png');
    const upload = { id: await put(png) };
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
    const { client, openid, put } = await login('photo_big');
    const big = { id: await put(magickImage(3000, 2000, 'jpg', 'gradient:red-blue')) };
    const gif = { id: await put(magickImage(30, 20, 'gif', 'xc:blue')) };
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
    const { client, openid, put } = await login('photo_notext');
    const upload = { id: await put(magickImage(32, 32, 'webp')) };
    client.send({ type: 'chat', query: '', images: [upload.id] });
    assert.equal((await client.nextOf('chat_response')).code, 0);
    assert.equal(imagePartsOf(llm.requests.at(-1)!.body)[0]!.mime, 'image/webp');
    assert.equal((await gw.stores.history.listRecent(openid, 10))[0]!.content, '请看图片');
    await client.close();
  });

  it('refuses 5 images, another user\'s upload, an audio upload and a broken image — nothing stored, no model call', async () => {
    const { client, openid, put } = await login('photo_bad');
    const other = await login('photo_other');
    const own = await Promise.all([1, 2, 3, 4, 5].map(async () => ({ id: await put(magickImage(8, 8, 'png')) })));
    const theirs = { id: await other.put(magickImage(8, 8, 'png')) };
    await other.client.close();
    const audio = { id: await put(speechMp3('你好')) };
    const broken = { id: await put(corruptPng(magickImage(64, 64, 'png'))) };
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
    const { client, openid, put } = await login('photo_expired');
    const upload = { id: await put(magickImage(16, 16, 'png', 'xc:green')) };
    client.send({ type: 'chat', query: '这是什么', images: [upload.id] });
    await client.nextOf('chat_response');
    shift = 25 * 3_600_000; // past UPLOAD_TTL_HOURS (24 h)
    client.send({ type: 'chat', query: '再说说' });
    const response = await client.nextOf('chat_response');
    shift = 0;
    assert.equal(response.code, 0);
    const sent = llm.requests.at(-1)!.body;
    assert.equal(imagePartsOf(sent).length, 0);
    assert.equal(sent.model, 'deepseek-chat', 'nothing to look at: the chat model answers');
    const earlier = (sent.messages as Message[]).find((m) => textOf(m.content).startsWith('这是什么'))!;
    assert.match(textOf(earlier.content), /图片已过期/);
    await client.close();
  });

  it('a follow-up re-sends only the latest photo question\'s images; older ones leave a note', async () => {
    const { client, put } = await login('photo_two');
    const first = await put(magickImage(10, 10, 'png', 'xc:red'));
    const second = await put(magickImage(12, 12, 'png', 'xc:blue'));
    client.send({ type: 'chat', query: '第一张', images: [first] });
    await client.nextOf('chat_response');
    client.send({ type: 'chat', query: '第二张', images: [second] });
    await client.nextOf('chat_response');
    client.send({ type: 'chat', query: '两张有什么不同？' });
    await client.nextOf('chat_response');
    const sent = llm.requests.at(-1)!.body;
    const images = imagePartsOf(sent);
    assert.equal(images.length, 1);
    assert.equal((await sharp(images[0]!.data).metadata()).width, 12, 'the second photo');
    const texts = (sent.messages as Message[]).map((m) => textOf(m.content));
    assert.ok(texts.some((t) => t.startsWith('第一张') && t.includes('图片不再随对话发送')), texts.join(' | '));
    await client.close();
  });

  it('refuses malformed image lists as bad_message', async () => {
    const { client } = await login('photo_hostile');
    for (const images of [Array.from({ length: 17 }, (_, i) => `up_${i}`), ['x'.repeat(129)], [42], [''], 'up_1', { id: 'up_1' }]) {
      client.send({ type: 'chat', query: '看图', images });
      const error = await client.nextOf('error');
      assert.deepEqual([error.code, error.data.reason], [400, 'bad_message'], JSON.stringify(images).slice(0, 80));
      assert.match(error.message, /字段 images/);
    }
    await client.close();
  });

  it('a model that refuses images gives vision_unsupported, not retried, not a 500', async () => {
    const { client, openid, put } = await login('photo_refused');
    const upload = { id: await put(magickImage(16, 16, 'png')) };
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
    const { client, openid, put } = await login('photo_http');
    await client.close();
    const upload = { id: await put(magickImage(20, 20, 'jpg')) };
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
    const gw = await startGateway();
    try {
      const { client, login } = await WsTestClient.loggedIn(gw.wsUrl, 'offline_photo');
      const image = { id: await upload(gw.url, login.data.session_id, magickImage(8, 8, 'png')) };
      client.send({ type: 'chat', query: '这是什么', images: [image.id] });
      const error = await client.nextOf('error');
      assert.deepEqual([error.code, error.data.reason], [503, 'vision_not_configured']);
      assert.match(error.message, /未配置 AI 模型/);
      await client.close();
    } finally {
      await gw.stop();
    }
  });
});
