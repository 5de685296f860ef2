import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { mediaUrlKey } from '../src/compose/create-media-check.js';
import { urlKeyFromSecret } from '../src/compose/create-speech.js';
import { SpeechUrlSigner } from '../src/media/speech-url-signer.js';
import { pushSignature } from '../src/moderation/push-signature.js';
import type { HistoryStore, StoredMessage } from '../src/store/history-store.js';
import { startFakeLlmServer, type FakeLlmServer } from './support/fake-llm-server.js';
import { startFakeWechatServer, type FakeWechatServer } from './support/fake-wechat-server.js';
import { magickImage } from './support/real-media.js';
import { startGateway, type RunningGateway } from './support/start-gateway.js';
import { uploadForm } from './support/upload-client.js';
import { until } from './support/wait.js';
import { WsTestClient } from './support/ws-test-client.js';

const PUSH_TOKEN = 'push-token-for-tests-0123456789';
const ADMIN_TOKEN = 'admin-token-for-media-check-tests-0123';
const URL_SECRET = 'media-url-secret-for-tests-0123456789abcdef';

type Message = { role: string; content: unknown };
const textOf = (content: unknown) =>
  typeof content === 'string' ? content : (content as Array<{ type: string; text?: string }>).filter((p) => p.type === 'text').map((p) => p.text).join('');

/**
 * The gateway's "public origin": a loopback reverse proxy started before the gateway (whose
 * port is only known once it listens), as nginx would stand in front of it in production.
 */
async function startForwarder(): Promise<{ url: string; setTarget(url: string): void; close(): Promise<void> }> {
  let target = '';
  const server: Server = createServer((req, res) => {
    const upstream = new URL(req.url ?? '/', target);
    const forwarded = httpRequest(upstream, { method: req.method, headers: req.headers }, (reply) => {
      res.writeHead(reply.statusCode ?? 502, reply.headers);
      reply.pipe(res);
    });
    forwarded.on('error', () => res.destroy());
    req.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    setTarget: (url) => void (target = url),
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

describe('image content security: WeChat mediaCheckAsync (real gateway, fake WeChat and model on loopback)', () => {
  let wx: FakeWechatServer;
  let llm: FakeLlmServer;
  let gw: RunningGateway;
  let proxy: Awaited<ReturnType<typeof startForwarder>>;

  before(async () => {
    wx = await startFakeWechatServer();
    llm = await startFakeLlmServer({ apiKey: 'test-key' });
    proxy = await startForwarder();
    gw = await startGateway({
      wechat: wx,
      llm,
      env: {
        PUBLIC_BASE_URL: proxy.url,
        WECHAT_PUSH_TOKEN: PUSH_TOKEN,
        TTS_URL_SECRET: URL_SECRET,
        ADMIN_TOKEN: ADMIN_TOKEN,
        VISION_MODEL: 'fake-vl',
        USER_CHATS_PER_MINUTE: '0',
        USER_UPLOADS_PER_MINUTE: '0',
      },
    });
    proxy.setTarget(gw.url);
    wx.security.configureMediaCheck({ pushUrl: `${proxy.url}/wechat/push`, pushToken: PUSH_TOKEN });
  });
  after(async () => {
    await gw.stop();
    await proxy.close();
    await llm.close();
    await wx.close();
  });

  /** The conversation as the gateway's readers see it (the store, through the flag overlay of its ChatService). */
  const readHistory = (openid: string): Promise<StoredMessage[]> =>
    (gw.app.chat as unknown as { deps: { history: HistoryStore } }).deps.history.listRecent(openid, 20);

  async function login(code: string) {
    const { client, login } = await WsTestClient.loggedIn(gw.wsUrl, code);
    const sessionId = login.data.session_id as string;
    const put = async (data: Buffer) => {
      const reply = await uploadForm(gw.url, sessionId, [{ data }]);
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      return reply.body.data.upload_id as string;
    };
    return { client, openid: login.data.openid as string, put };
  }

  /** Asks a photo question and waits for its answer and for the fake to have fetched and pushed. */
  async function askWithPhoto(client: WsTestClient, query: string, uploadId: string, checksBefore: number) {
    client.send({ type: 'chat', query, images: [uploadId] });
    const response = await client.nextOf('chat_response');
    assert.equal(response.code, 0, JSON.stringify(response));
    await until(() => wx.security.mediaChecks.length > checksBefore, 'the image submitted to media_check_async');
    await wx.security.mediaChecksSettled();
    return { response, check: wx.security.mediaChecks.at(-1)! };
  }

  it('submits a photo once, with a signed URL WeChat can fetch; a pass verdict changes nothing; the log never has the token', async () => {
    wx.security.configureMediaCheck({ suggest: 'pass', label: 100 });
    const { client, openid, put } = await login('check_pass');
    const png = magickImage(48, 32, 'png');
    const id = await put(png);
    const before = wx.security.mediaChecks.length;
    const { check } = await askWithPhoto(client, '图里是什么？', id, before);
    assert.equal(check.openid, openid);
    assert.equal(check.media_type, 2);
    assert.ok(check.media_url.startsWith(`${proxy.url}/wechat/media/${id}?t=v1.`), check.media_url);
    assert.equal(check.fetched?.status, 200);
    assert.equal(check.fetched?.contentType, 'image/png');
    assert.ok(check.fetched?.body.equals(png), 'WeChat fetched exactly the uploaded bytes');
    assert.deepEqual(check.pushed, { status: 200, body: 'success' });

    // the same upload in a follow-up question is not submitted again
    client.send({ type: 'chat', query: '再看看', images: [id] });
    await client.nextOf('chat_response');
    assert.equal(wx.security.mediaChecks.length, before + 1);
    assert.ok(await gw.uploads.get(openid, id), 'a passed image stays');
    const token = new URL(check.media_url).searchParams.get('t')!;
    assert.ok(!gw.logs.some((line) => line.includes(token)), 'the URL token is never logged');
    assert.equal(gw.logs.filter((line) => line.includes(check.trace_id) && line.includes('media check verdict')).length, 1);
    await client.close();
  });

  it('a risky verdict deletes the upload and flags the question and answer: later prompts no longer carry that turn; replays and bad signatures change nothing', async () => {
    wx.security.configureMediaCheck({ suggest: 'risky', label: 20002 });
    const { client, openid, put } = await login('check_risky');
    client.send({ type: 'chat', query: '第一句普通的话' });
    await client.nextOf('chat_response');
    const id = await put(magickImage(40, 40, 'jpg'));
    const { response, check } = await askWithPhoto(client, '这张违规图片里是什么？', id, wx.security.mediaChecks.length);
    assert.deepEqual(check.pushed, { status: 200, body: 'success' });

    assert.equal(await gw.uploads.get(openid, id), undefined, 'the upload record is gone');
    assert.equal(existsSync(join(gw.dataDir, 'uploads', id)), false, 'the file is gone');
    const refetch = await fetch(check.media_url);
    assert.equal(refetch.status, 404, 'the signed URL no longer serves it');
    // what every history reader gets (the chat's prompt, history replies, speech): both flagged
    const stored = await readHistory(openid);
    assert.deepEqual(stored.find((m) => m.content === '这张违规图片里是什么？')?.flagged, { label: 'image:20002' });
    assert.deepEqual(stored.find((m) => m.id === response.data.id)?.flagged, { label: 'image:20002' });

    // the admin console's conversation detail shows the flags
    const admin = (path: string) => fetch(`${gw.url}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }).then((r) => r.json() as Promise<any>);
    let detail: any;
    await until(async () => {
      const list = await admin(`/admin/api/conversations?openid=${encodeURIComponent(openid)}`);
      const conversationId = list.data?.items?.[0]?.conversation_id;
      detail = conversationId && (await admin(`/admin/api/conversations/${encodeURIComponent(conversationId)}`));
      return detail?.data?.messages?.length >= 4;
    }, 'the admin detail of the conversation');
    const shown = detail.data.messages.map((m: any) => [m.content.slice(0, 6), m.flagged?.label ?? null]);
    assert.deepEqual(shown.slice(0, 4), [
      ['第一句普通的', null],
      ['收到：第一句', null],
      ['这张违规图片', 'image:20002'],
      ['收到：这张违', 'image:20002'],
    ]);

    // the next prompt the model sees has the earlier plain turn but not the flagged one
    const answerText = response.data.msg as string;
    const before = llm.requests.length;
    client.send({ type: 'chat', query: '接着聊' });
    await client.nextOf('chat_response');
    const prompt = (llm.requests[before]!.body as { messages: Message[] }).messages.map((m) => textOf(m.content));
    assert.ok(prompt.includes('第一句普通的话'), JSON.stringify(prompt));
    assert.ok(!prompt.some((text) => text.includes('这张违规图片')), 'the flagged question is dropped');
    assert.ok(!prompt.includes(answerText), 'the flagged answer is dropped');
    assert.equal(llm.requests[before]!.body.model !== 'fake-vl', true, 'no image is sent any more');

    // asking about the deleted upload again: it is unknown
    client.send({ type: 'chat', query: '再看一次', images: [id] });
    const refused = await client.nextOf('error');
    assert.equal(refused.data.reason, 'upload_not_found');

    // a replayed push (same trace) is acknowledged and changes nothing
    const risky = () => gw.logs.filter((line) => line.includes('WeChat found an image risky') && line.includes(check.trace_id)).length;
    assert.equal(risky(), 1);
    assert.deepEqual(await wx.security.push(wx.security.mediaPushBody(check.trace_id, 'risky', 20002)), { status: 200, body: 'success' });
    assert.deepEqual(await wx.security.push(wx.security.mediaPushBody(check.trace_id, 'pass', 100)), { status: 200, body: 'success' });
    assert.equal(risky(), 1, 'logged once per verdict');
    // an unknown trace_id: acknowledged, ignored
    assert.deepEqual(await wx.security.push(wx.security.mediaPushBody('no-such-trace', 'risky', 20002)), { status: 200, body: 'success' });
    await client.close();
  });

  it('a push with a bad or missing signature is refused (403, no details) and changes nothing', async () => {
    wx.security.configureMediaCheck({ suggest: 'pass', label: 100 });
    const { client, openid, put } = await login('check_forged');
    const id = await put(magickImage(30, 30, 'png'));
    const { check } = await askWithPhoto(client, '看图', id, wx.security.mediaChecks.length);
    const forged = await wx.security.push(wx.security.mediaPushBody(check.trace_id, 'risky', 20002), 'not-the-token');
    assert.equal(forged.status, 403);
    assert.deepEqual(JSON.parse(forged.body), { code: 403, message: '签名无效', data: { reason: 'push_forbidden' } });
    const unsigned = await fetch(`${gw.url}/wechat/push`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(wx.security.mediaPushBody(check.trace_id, 'risky', 1)) });
    assert.equal(unsigned.status, 403);
    assert.ok(await gw.uploads.get(openid, id), 'the upload is still there');
    assert.ok((await readHistory(openid)).every((m) => !m.flagged), 'nothing flagged');
    await client.close();
  });

  it('GET /wechat/push echoes echostr only with the right signature; XML and encrypted pushes are refused', async () => {
    const q = (token: string) => new URLSearchParams({ signature: pushSignature(token, '1700000000', 'n1'), timestamp: '1700000000', nonce: 'n1', echostr: 'echo-123' });
    const ok = await fetch(`${gw.url}/wechat/push?${q(PUSH_TOKEN)}`);
    assert.equal(ok.status, 200);
    assert.equal(await ok.text(), 'echo-123');
    assert.equal((await fetch(`${gw.url}/wechat/push?${q('wrong')}`)).status, 403);
    assert.equal((await fetch(`${gw.url}/wechat/push?echostr=x`)).status, 403);
    const signed = `signature=${pushSignature(PUSH_TOKEN, '1700000000', 'n1')}&timestamp=1700000000&nonce=n1`;
    const xml = await fetch(`${gw.url}/wechat/push?${signed}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: '<xml><Event>wxa_media_check</Event></xml>' });
    assert.equal(xml.status, 400);
    const aes = await fetch(`${gw.url}/wechat/push?${signed}&encrypt_type=aes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"Encrypt":"x"}' });
    assert.equal(aes.status, 400);
    const other = await fetch(`${gw.url}/wechat/push?${signed}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"Event":"user_enter_tempsession"}' });
    assert.equal(await other.text(), 'success', 'other events are acknowledged and ignored');
    // hostile bodies: a malformed verdict, a non-object, an oversized body — refused, nothing acted on
    for (const body of ['{"Event":"wxa_media_check","trace_id":["x"],"result":{"suggest":"risky"}}', '{"Event":"wxa_media_check","trace_id":"t","result":{"suggest":"delete-all"}}', '[1,2]', 'null']) {
      const reply = await fetch(`${gw.url}/wechat/push?${signed}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      assert.equal(reply.status, 400, body);
      assert.equal(((await reply.json()) as { data: { reason: string } }).data.reason, 'push_unsupported');
    }
    const huge = await fetch(`${gw.url}/wechat/push?${signed}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"x":"${'a'.repeat(100_000)}"}` });
    assert.equal(huge.status, 413);
  });

  it('the media URL with a tampered, expired, other-upload or missing token is 404', async () => {
    const { openid, put } = await login('check_url');
    const id = await put(magickImage(20, 20, 'png'));
    const other = await put(magickImage(21, 21, 'png'));
    const key = mediaUrlKey(urlKeyFromSecret(URL_SECRET));
    const good = new SpeechUrlSigner(key, 60_000).sign(id, openid).token;
    assert.equal((await fetch(`${gw.url}/wechat/media/${id}?t=${good}`)).status, 200, 'a token signed with the media key works');
    const tampered = good.slice(0, -2) + (good.endsWith('AA') ? 'BB' : 'AA');
    const expired = new SpeechUrlSigner(key, 60_000, () => Date.now() - 3_600_000).sign(id, openid).token;
    const speechKeyToken = new SpeechUrlSigner(urlKeyFromSecret(URL_SECRET), 60_000).sign(id, openid).token;
    for (const url of [
      `/wechat/media/${id}?t=${tampered}`,
      `/wechat/media/${id}?t=${expired}`,
      `/wechat/media/${other}?t=${good}`,
      `/wechat/media/${id}?t=${speechKeyToken}`,
      `/wechat/media/${id}`,
      `/wechat/media/${id}?t=${good}&t=${good}`,
    ]) {
      const reply = await fetch(`${gw.url}${url}`);
      assert.equal(reply.status, 404, url);
      assert.equal(((await reply.json()) as { code: number }).code, 404);
    }
  });
});

describe('image content security not configured', () => {
  it('without PUBLIC_BASE_URL / WECHAT_PUSH_TOKEN: no submission, no push route, and the log says so once', async () => {
    const wx = await startFakeWechatServer();
    const llm = await startFakeLlmServer({ apiKey: 'test-key' });
    const gw = await startGateway({ wechat: wx, llm, env: { USER_CHATS_PER_MINUTE: '0', USER_UPLOADS_PER_MINUTE: '0' } });
    try {
      const notChecked = gw.logs.filter((line) => line.includes('images are not content-checked'));
      assert.equal(notChecked.length, 1);
      assert.match(notChecked[0]!, /PUBLIC_BASE_URL/);
      assert.match(notChecked[0]!, /WECHAT_PUSH_TOKEN/);
      const { client, login } = await WsTestClient.loggedIn(gw.wsUrl, 'unchecked');
      const reply = await uploadForm(gw.url, login.data.session_id as string, [{ data: magickImage(20, 20, 'png') }]);
      client.send({ type: 'chat', query: '看图', images: [reply.body.data.upload_id] });
      assert.equal((await client.nextOf('chat_response')).code, 0);
      assert.equal(wx.security.mediaChecks.length, 0);
      assert.equal((await fetch(`${gw.url}/wechat/push?echostr=x`)).status, 404);
      await client.close();
    } finally {
      await gw.stop();
      await llm.close();
      await wx.close();
    }
  });
});

describe('image content security with REDIS_URL (verdicts in Redis, any instance takes the push)', () => {
  it('a risky verdict pushed to a second instance deletes the upload and flags the turn the first instance stored', async () => {
    const prefix = `wag-test-mcheck-${process.pid}-${Date.now()}:`;
    const wx = await startFakeWechatServer();
    const llm = await startFakeLlmServer({ apiKey: 'test-key' });
    const proxy = await startForwarder();
    const env = { PUBLIC_BASE_URL: proxy.url, WECHAT_PUSH_TOKEN: PUSH_TOKEN, TTS_URL_SECRET: URL_SECRET, USER_CHATS_PER_MINUTE: '0', USER_UPLOADS_PER_MINUTE: '0' };
    const a = await startGateway({ wechat: wx, llm, store: { redisPrefix: prefix }, env });
    // the second instance shares Redis and the upload directory (as docs/deployment.md asks)
    const b = await startGateway({ wechat: wx, llm, store: { redisPrefix: prefix }, env: { ...env, UPLOAD_DIR: join(a.dataDir, 'uploads') } });
    try {
      proxy.setTarget(a.url); // WeChat fetches the image from instance a…
      wx.security.configureMediaCheck({ pushUrl: `${b.url}/wechat/push`, pushToken: PUSH_TOKEN, suggest: 'risky', label: 10001 }); // …and pushes to b
      const { client, login } = await WsTestClient.loggedIn(a.wsUrl, 'redis_risky');
      const openid = login.data.openid as string;
      const reply = await uploadForm(a.url, login.data.session_id as string, [{ data: magickImage(24, 24, 'png') }]);
      const id = reply.body.data.upload_id as string;
      client.send({ type: 'chat', query: '红色的图', images: [id] });
      assert.equal((await client.nextOf('chat_response')).code, 0);
      await until(() => wx.security.mediaChecks.length === 1, 'the submission');
      await wx.security.mediaChecksSettled();
      assert.deepEqual(wx.security.mediaChecks[0]!.pushed, { status: 200, body: 'success' });
      assert.equal(await a.uploads.get(openid, id), undefined, 'deleted for every instance');
      const before = llm.requests.length;
      client.send({ type: 'chat', query: '换个话题' });
      await client.nextOf('chat_response');
      const prompt = (llm.requests[before]!.body as { messages: Message[] }).messages.map((m) => textOf(m.content));
      assert.ok(!prompt.some((text) => text.includes('红色的图')), JSON.stringify(prompt));
      await client.close();
    } finally {
      await b.stop();
      await a.stop();
      await proxy.close();
      await llm.close();
      await wx.close();
      const { Redis } = await import('ioredis');
      const redis = new Redis('redis://127.0.0.1:6379');
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    }
  });
});
