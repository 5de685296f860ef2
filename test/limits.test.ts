import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { startFakeLlmServer, type FakeLlmServer } from './support/fake-llm-server.js';
import { startGateway, type GatewayOptions, type RunningGateway } from './support/start-gateway.js';
import { WsTestClient, type Frame } from './support/ws-test-client.js';

/** 00:00:05 UTC = 08:00:05 in Shanghai: 55 s left in the minute, 16 h less 5 s in the Shanghai day. */
const T0 = Date.UTC(2026, 0, 1, 0, 0, 5);

let llm: FakeLlmServer;
before(async () => {
  llm = await startFakeLlmServer({ apiKey: 'test-key' });
});
after(() => llm.close());

/** A gateway whose limits read `clock.now` (tests step it past a window instead of sleeping). */
async function gateway(env: Record<string, string>, extra: GatewayOptions = {}) {
  const clock = { now: T0 };
  const gw = await startGateway({ llm, env, limitsClock: () => clock.now, ...extra });
  return { gw, clock };
}

async function connectAndLogin(gw: RunningGateway, login: Record<string, unknown>): Promise<{ client: WsTestClient; response: Frame }> {
  const client = await WsTestClient.connect(gw.wsUrl);
  await client.nextOf('connected');
  client.send({ type: 'login', ...login });
  return { client, response: await client.nextOf('login_response') };
}

/** Sends a chat and returns its last frame: chat_response, or the error that refused it. */
async function ask(client: WsTestClient, query: string): Promise<Frame> {
  const request_id = randomUUID();
  client.send({ type: 'chat', query, request_id });
  for (;;) {
    const frame = await client.next();
    if (frame.request_id === request_id && (frame.type === 'chat_response' || frame.type === 'error')) return frame;
  }
}

function post(gw: RunningGateway, path: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

const body = async (res: Response) => (await res.json()) as Omit<Frame, 'type'>;

describe('limits: chats per minute and tokens per day (memory)', () => {
  it('the 11th chat in a minute gets 429 chat_rate_limited with retry_after; the next minute allows it', async () => {
    const { gw, clock } = await gateway({});
    const { client, response } = await connectAndLogin(gw, { code: 'rate-user' });
    assert.deepEqual(response.data.limits, { chats_per_minute: 10, chats_left: 10, tokens_per_day: 200000, tokens_left: 200000 });
    assert.deepEqual(Object.keys(response.data), ['openid', 'session_id', 'limits'], 'limits after the seed fields');
    for (let i = 0; i < 10; i++) assert.equal((await ask(client, `问题 ${i}`)).code, 0);
    const refused = await ask(client, '第 11 个问题');
    assert.equal(refused.type, 'error');
    assert.equal(refused.code, 429);
    assert.deepEqual(refused.data, { reason: 'chat_rate_limited', retry_after: 55 });
    assert.match(String(refused.message), /频繁/);

    client.send({ type: 'login', session_id: response.data.session_id });
    const again = await client.nextOf('login_response');
    assert.equal(again.data.limits.chats_left, 0);
    assert.ok(again.data.limits.tokens_left < 200000, 'answers used tokens');

    clock.now += 60_000;
    assert.equal((await ask(client, '下一分钟')).code, 0);
    await client.close();
    await gw.stop();
  });

  it('a user over today\'s tokens gets 429 token_quota_exceeded until midnight in Shanghai, on WS and HTTP', async () => {
    const { gw, clock } = await gateway({ USER_TOKENS_PER_DAY: '30' });
    const { client, response } = await connectAndLogin(gw, { code: 'token-user' });
    const answered = await ask(client, '请详细介绍一下你自己');
    const used = answered.data.usage.promptTokens + answered.data.usage.completionTokens;
    assert.ok(used > 30, `the fake model reported ${used} tokens`);

    const refused = await ask(client, '再问一个');
    assert.equal(refused.code, 429);
    const untilMidnight = 16 * 3600 - 5;
    assert.deepEqual(refused.data, { reason: 'token_quota_exceeded', retry_after: untilMidnight });
    assert.equal(llm.requests.filter((r) => JSON.stringify(r.body).includes('再问一个')).length, 0, 'never reached the model');

    const res = await post(gw, '/wechat/chat', { query: '再问一个', session_id: response.data.session_id });
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('retry-after'), String(untilMidnight));
    assert.deepEqual((await body(res)).data, { reason: 'token_quota_exceeded', retry_after: untilMidnight });

    client.send({ type: 'login', session_id: response.data.session_id });
    assert.equal((await client.nextOf('login_response')).data.limits.tokens_left, 0);

    clock.now = Date.UTC(2026, 0, 1, 16); // 00:00 the next day in Shanghai
    assert.equal((await ask(client, '新的一天')).code, 0);
    await client.close();
    await gw.stop();
  });

  it('0 turns a limit off: no 429, and *_left is null', async () => {
    const { gw } = await gateway({ USER_CHATS_PER_MINUTE: '0', USER_TOKENS_PER_DAY: '0' });
    const { client, response } = await connectAndLogin(gw, { code: 'free-user' });
    assert.deepEqual(response.data.limits, { chats_per_minute: 0, chats_left: null, tokens_per_day: 0, tokens_left: null });
    for (let i = 0; i < 12; i++) assert.equal((await ask(client, `问题 ${i}`)).code, 0);
    await client.close();
    await gw.stop();
  });
});

describe('limits: per client IP (memory)', () => {
  it('HTTP login: 429 login_rate_limited with Retry-After; a spoofed X-Forwarded-For does not bypass it (TRUST_PROXY=false)', async () => {
    const { gw, clock } = await gateway({ IP_LOGINS_PER_MINUTE: '2' });
    for (const code of ['a', 'b']) {
      const res = await post(gw, '/wechat/login', { code });
      assert.equal(res.status, 200);
      assert.equal((await body(res)).data.limits.chats_per_minute, 10);
    }
    const refused = await post(gw, '/wechat/login', { code: 'c' }, { 'x-forwarded-for': '203.0.113.9' });
    assert.equal(refused.status, 429);
    assert.equal(refused.headers.get('retry-after'), '55');
    assert.deepEqual(await body(refused), {
      code: 429,
      message: '登录过于频繁，请一分钟后再试',
      data: { reason: 'login_rate_limited', retry_after: 55 },
    });

    // WS: a login with a code is refused too; resuming with a session_id is not counted
    const { client, response } = await connectAndLogin(gw, { code: 'd' });
    assert.equal(response.code, 429);
    assert.deepEqual(response.data, { reason: 'login_rate_limited', retry_after: 55 });
    clock.now += 60_000;
    client.send({ type: 'login', code: 'd' });
    const ok = await client.nextOf('login_response');
    assert.equal(ok.code, 0);
    clock.now -= 60_000; // back in the full minute: resuming still works
    client.send({ type: 'login', session_id: ok.data.session_id });
    assert.equal((await client.nextOf('login_response')).code, 0);
    await client.close();
    await gw.stop();
  });

  it('with TRUST_PROXY=true the forwarded address is the one counted', async () => {
    const { gw } = await gateway({ IP_LOGINS_PER_MINUTE: '1', TRUST_PROXY: 'true' });
    assert.equal((await post(gw, '/wechat/login', { code: 'a' }, { 'x-forwarded-for': '203.0.113.1' })).status, 200);
    assert.equal((await post(gw, '/wechat/login', { code: 'b' }, { 'x-forwarded-for': '203.0.113.2' })).status, 200);
    assert.equal((await post(gw, '/wechat/login', { code: 'c' }, { 'x-forwarded-for': '203.0.113.2' })).status, 429);
    await gw.stop();
  });

  it('new sockets past IP_CONNECTIONS_PER_MINUTE get error 429 ip_rate_limited, then close 1013', async () => {
    const { gw, clock } = await gateway({ IP_CONNECTIONS_PER_MINUTE: '2' });
    const open = [await WsTestClient.connect(gw.wsUrl), await WsTestClient.connect(gw.wsUrl)];
    const third = await WsTestClient.connect(gw.wsUrl);
    const frame = await third.next();
    assert.equal(frame.type, 'error');
    assert.equal(frame.code, 429);
    assert.deepEqual(frame.data, { reason: 'ip_rate_limited', retry_after: 55 });
    assert.equal((await third.closed).code, 1013);
    clock.now += 60_000;
    const fourth = await WsTestClient.connect(gw.wsUrl);
    assert.equal((await fourth.next()).type, 'connected');
    for (const client of [...open, fourth]) await client.close();
    await gw.stop();
  });

  it('HTTP chat counts against the same per-user minute as WS chat', async () => {
    const { gw } = await gateway({ USER_CHATS_PER_MINUTE: '1' });
    const { client, response } = await connectAndLogin(gw, { code: 'mixed-user' });
    assert.equal((await ask(client, '一')).code, 0);
    const res = await post(gw, '/wechat/chat', { query: '二' }, { authorization: `Bearer ${response.data.session_id}` });
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('retry-after'), '55');
    assert.equal((await body(res)).data.reason, 'chat_rate_limited');
    await client.close();
    await gw.stop();
  });
});

describe('limits on Redis: two gateways share the counters', () => {
  const prefix = `wag-test-${randomUUID()}:`;
  const admin = new Redis('redis://127.0.0.1:6379', { lazyConnect: true });
  after(async () => {
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length > 0) await admin.del(...keys);
    await admin.quit();
  });

  it('chats on either gateway count against one per-user minute; the limits in login_response agree', async () => {
    const clock = { now: T0 };
    const options: GatewayOptions = { store: { redisPrefix: prefix }, limitsClock: () => clock.now };
    const a = await startGateway({ llm, env: { USER_CHATS_PER_MINUTE: '2' }, ...options });
    const b = await startGateway({ llm, env: { USER_CHATS_PER_MINUTE: '2' }, ...options });
    const onA = await connectAndLogin(a, { code: 'shared-user' });
    const onB = await connectAndLogin(b, { session_id: onA.response.data.session_id });
    assert.equal((await ask(onA.client, '一')).code, 0);
    assert.equal((await ask(onB.client, '二')).code, 0);
    const refused = await ask(onA.client, '三');
    assert.deepEqual(refused.data, { reason: 'chat_rate_limited', retry_after: 55 });
    onB.client.send({ type: 'login', session_id: onA.response.data.session_id });
    const status = (await onB.client.nextOf('login_response')).data.limits;
    assert.equal(status.chats_left, 0);
    assert.ok(status.tokens_left < 200000, 'tokens used on both gateways');
    clock.now += 60_000;
    assert.equal((await ask(onB.client, '四')).code, 0);
    for (const c of [onA.client, onB.client]) await c.close();
    await a.stop();
    await b.stop();
  });
});
