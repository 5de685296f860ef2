import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { startFakeLlmServer, type FakeLlmServer } from './support/fake-llm-server.js';
import { spawnServer, type SpawnedServer } from './support/spawn-server.js';
import { until } from './support/wait.js';
import { WsTestClient, type Frame } from './support/ws-test-client.js';

/**
 * Two real server processes (`node dist/main.js`) over one real Redis, no sticky sessions:
 * whatever instance a client lands on, its answer in flight is the same answer.
 */

const LEASE_MS = 2_000;
const LONG = '多实例之间续传的回答，每个字都只出现一次。'.repeat(6);

async function loginWithSession(url: string, sessionId: string): Promise<{ client: WsTestClient; login: Frame }> {
  const client = await WsTestClient.connect(url);
  await client.nextOf('connected');
  client.send({ type: 'login', session_id: sessionId });
  return { client, login: await client.nextOf('login_response') };
}

/** chat_delta frames among `frames`, as {index, delta}. */
const deltasOf = (frames: Frame[]) => frames.filter((f) => f.type === 'chat_delta').map((f) => f.data as { index: number; delta: string });

describe('answers in flight across two instances (Redis)', () => {
  const prefix = `wag-multi-${randomBytes(4).toString('hex')}:`;
  let llm: FakeLlmServer;
  let a: SpawnedServer;
  let b: SpawnedServer;
  const chatCalls = () => llm.requests.filter((r) => r.path.endsWith('/chat/completions')).length;

  before(async () => {
    llm = await startFakeLlmServer({ apiKey: 'test-key', deltaLatencyMs: 25, deltaChars: 1 });
    llm.setReply(() => LONG);
    const env = {
      LLM_BASE_URL: llm.baseUrl,
      LLM_API_KEY: 'test-key',
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: prefix,
      STREAM_COALESCE_MS: '0',
      ANSWER_LEASE_MS: String(LEASE_MS),
      // shorter than an answer: a client that moved to the other instance must keep it going
      ANSWER_DETACH_GRACE_MS: '1500',
      KB_LOAD_SAMPLE: 'false',
      LOG_LEVEL: 'warn',
    };
    [a, b] = await Promise.all([spawnServer(env), spawnServer(env)]);
  });

  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await llm?.close();
    const redis = new Redis('redis://127.0.0.1:6379');
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  it('log in on A, chat on B with the same session, see the history', async () => {
    const { client, login } = await WsTestClient.loggedIn(a.wsUrl, 'multi_history');
    await client.close();
    const onB = await loginWithSession(b.wsUrl, login.data.session_id);
    assert.equal(onB.login.data.openid, login.data.openid);
    llm.setReply((body) => `收到：${String(body.messages.at(-1)?.content)}`);
    onB.client.send({ type: 'chat', query: '在 B 上问' });
    assert.equal((await onB.client.nextOf('chat_response', 10_000)).data.msg, '收到：在 B 上问');
    llm.setReply(() => LONG);
    const again = await loginWithSession(a.wsUrl, login.data.session_id);
    again.client.send({ type: 'history' });
    const messages = (await again.client.nextOf('history_response')).data.messages as Array<{ content: string }>;
    assert.deepEqual(messages.map((m) => m.content), ['在 B 上问', '收到：在 B 上问']);
    await Promise.all([onB.client.close(), again.client.close()]);
  });

  it('dropped on A mid-answer, resumed on B: every delta index exactly once, the whole answer (A\'s grace period ends meanwhile)', async () => {
    const { client, login } = await WsTestClient.loggedIn(a.wsUrl, 'multi_resume');
    client.send({ type: 'chat', query: '讲', stream: true, request_id: 'r-resume' });
    const { data } = await client.nextOf('chat_processing');
    const received: Array<{ index: number; delta: string }> = [];
    for (let i = 0; i < 5; i++) received.push((await client.nextOf('chat_delta')).data);
    client.socket.terminate();

    const back = await loginWithSession(b.wsUrl, login.data.session_id);
    assert.equal(back.login.data.pending_answer.id, data.id, 'B knows the answer A generates');
    assert.ok(back.login.data.pending_answer.next_index >= received.length);
    back.client.send({ type: 'resume', id: data.id, from_index: received.length, request_id: 'again' });
    const response = await back.client.nextOf('chat_response', 15_000);
    received.push(...deltasOf(response.skipped));
    assert.deepEqual(received.map((d) => d.index), received.map((_, i) => i), 'no gap, no duplicate');
    assert.equal(received.map((d) => d.delta).join(''), LONG);
    assert.equal(response.data.msg, LONG);
    assert.equal(response.data.status, 'complete');
    assert.equal(response.data.id, data.id);

    // a finished answer: resume on either instance gets the stored result
    back.client.send({ type: 'resume', id: data.id, from_index: 0 });
    assert.equal((await back.client.nextOf('chat_response')).data.msg, LONG);
    await back.client.close();
  });

  it('the same request_id on A then B (and over HTTP): one model call, the same answer', async () => {
    const { client, login } = await WsTestClient.loggedIn(a.wsUrl, 'multi_retry');
    const calls = chatCalls();
    const ask = { type: 'chat', query: '只回答一次', stream: true, request_id: 'once-1' };
    client.send(ask);
    const first = await client.nextOf('chat_processing');
    await client.nextOf('chat_delta');

    const retry = await loginWithSession(b.wsUrl, login.data.session_id);
    retry.client.send(ask);
    const joined = await retry.client.nextOf('chat_processing');
    assert.equal(joined.data.id, first.data.id, 'the retry joined the answer in flight');
    const [original, repeated] = await Promise.all([client.nextOf('chat_response', 15_000), retry.client.nextOf('chat_response', 15_000)]);
    assert.equal(repeated.data.id, first.data.id);
    assert.equal(repeated.data.msg, LONG);
    assert.equal(original.data.msg, LONG);
    const streamed = deltasOf(repeated.skipped);
    assert.deepEqual(streamed.map((d) => d.index), streamed.map((_, i) => i), 'the retry got every delta once, from 0');
    assert.equal(streamed.map((d) => d.delta).join(''), LONG);

    // after the end: the stored answer, on either transport
    retry.client.send(ask);
    const late = await retry.client.nextOf('chat_response');
    assert.deepEqual([late.data.id, late.data.msg], [first.data.id, LONG]);
    const viaHttp = await fetch(`${b.url}/wechat/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${login.data.session_id}` },
      body: JSON.stringify({ query: '只回答一次', request_id: 'once-1' }),
    });
    const body = (await viaHttp.json()) as { data: { id: string; msg: string } };
    assert.deepEqual([body.data.id, body.data.msg], [first.data.id, LONG]);
    assert.equal(chatCalls(), calls + 1, 'exactly one model call');

    // the same request_id with another question is another request
    retry.client.send({ ...ask, query: '另一个问题' });
    const other = await retry.client.nextOf('chat_processing');
    assert.notEqual(other.data.id, first.data.id);
    await retry.client.nextOf('chat_response', 15_000);
    await Promise.all([client.close(), retry.client.close()]);
  });

  it('one chat per session across instances; cancel on B stops the answer running on A', async () => {
    const { client, login } = await WsTestClient.loggedIn(a.wsUrl, 'multi_cancel');
    const aborted = llm.abortedCount();
    client.send({ type: 'chat', query: '说长一点', stream: true });
    const processing = await client.nextOf('chat_processing');
    await client.nextOf('chat_delta');

    const other = await loginWithSession(b.wsUrl, login.data.session_id);
    other.client.send({ type: 'chat', query: '同时再问', request_id: 'second' });
    assert.equal((await other.client.nextOf('error')).data.reason, 'chat_in_progress', '409 on the other instance');
    other.client.send({ type: 'cancel', id: processing.data.id, request_id: 'stop' });
    const cancelled = await other.client.nextOf('cancel_response');
    assert.deepEqual([cancelled.data.id, cancelled.data.cancelled], [processing.data.id, true]);
    const [onA, onB] = await Promise.all([client.nextOf('chat_response', 10_000), other.client.nextOf('chat_response', 10_000)]);
    assert.equal(onA.data.status, 'cancelled');
    assert.equal(onB.data.status, 'cancelled');
    assert.equal(onB.data.id, processing.data.id);
    assert.ok(onA.data.msg.length < LONG.length, 'stopped early');
    await until(() => llm.abortedCount() > aborted, 'the upstream call on A aborted');
    await Promise.all([client.close(), other.client.close()]);
  });

  it('kill -9 of A mid-answer: the client on B gets a final failed state within the lease', async () => {
    const { client, login } = await WsTestClient.loggedIn(a.wsUrl, 'multi_killed');
    client.send({ type: 'chat', query: '说完之前就断电', stream: true });
    const processing = await client.nextOf('chat_processing');
    const received: Array<{ index: number; delta: string }> = [];
    for (let i = 0; i < 3; i++) received.push((await client.nextOf('chat_delta')).data);
    a.child.kill('SIGKILL');
    await a.exited;

    const back = await loginWithSession(b.wsUrl, login.data.session_id);
    const started = Date.now();
    let final: Frame & { skipped: Frame[] };
    if (back.login.data.pending_answer) {
      assert.equal(back.login.data.pending_answer.id, processing.data.id);
      back.client.send({ type: 'resume', id: processing.data.id, from_index: received.length });
      final = await back.client.nextOf('chat_response', LEASE_MS + 5_000);
      received.push(...deltasOf(final.skipped));
    } else {
      // the lease ran out before the login: the answer was already ended, resume returns it
      back.client.send({ type: 'resume', id: processing.data.id, from_index: received.length });
      final = await back.client.nextOf('chat_response', 5_000);
    }
    assert.ok(Date.now() - started < LEASE_MS + 3_000, 'a final state within the lease');
    assert.equal(final.code, 503);
    assert.equal(final.data.reason, 'instance_lost');
    assert.equal(final.data.id, processing.data.id);
    assert.ok(final.data.msg.length > 0 && LONG.startsWith(final.data.msg), 'the partial answer');
    back.client.send({ type: 'history' });
    const messages = (await back.client.nextOf('history_response')).data.messages as Array<{ id: string; status: string; content: string }>;
    const stored = messages.filter((m) => m.id === processing.data.id);
    assert.equal(stored.length, 1, 'stored once, by one instance');
    assert.equal(stored[0]!.status, 'failed');
    await back.client.close();
  });
});
