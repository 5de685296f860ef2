import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { defaultReply, lastUserText, startFakeLlmServer } from './support/fake-llm-server.js';
import { startRedis } from './support/redis-server.js';
import { freePort, spawnServer } from './support/spawn-server.js';
import { startGateway } from './support/start-gateway.js';
import { until } from './support/wait.js';
import { WsTestClient } from './support/ws-test-client.js';

describe('Redis going away', () => {
  it('chat gets 503 store_unavailable, health turns 503, nothing crashes; service resumes when Redis is back', async () => {
    const port = await freePort();
    let redis = await startRedis(port);
    const llm = await startFakeLlmServer({ apiKey: 'test-key' });
    const gw = await startGateway({ llm, store: { redisPrefix: 'outage:', url: `redis://127.0.0.1:${port}` } });
    try {
      const { client, login } = await WsTestClient.loggedIn(gw.wsUrl, 'outage_code');
      client.send({ type: 'chat', query: '之前' });
      assert.equal((await client.nextOf('chat_response')).code, 0);

      await redis.stop();
      client.send({ type: 'chat', query: '存储挂了' });
      const refused = await client.next(15_000);
      assert.equal(refused.type, 'error', 'the session check fails before anything starts');
      assert.equal(refused.code, 503);
      assert.equal(refused.data.reason, 'store_unavailable');
      const health = await fetch(`${gw.url}/wechat/health`);
      assert.equal(health.status, 503);
      assert.equal(((await health.json()) as any).data.store.ok, false);
      client.send({ type: 'ping' });
      assert.equal((await client.nextOf('pong')).type, 'pong', 'the socket survives the outage');

      redis = await startRedis(port); // an empty Redis: the old session is gone with it
      for (let i = 0; i < 50 && (await fetch(`${gw.url}/wechat/health`)).status !== 200; i++) await sleep(100);
      client.send({ type: 'login', session_id: login.data.session_id });
      assert.equal((await client.nextOf('login_response')).data.reason, 'session_expired');
      client.send({ type: 'login', code: 'outage_code_2' });
      assert.equal((await client.nextOf('login_response')).code, 0);
      client.send({ type: 'chat', query: '恢复了' });
      assert.equal((await client.nextOf('chat_response')).data.msg, '收到：恢复了');
      await client.close();
    } finally {
      await gw.stop();
      await llm.close();
      await redis.stop();
    }
  });
});

describe('Redis going away under the real process (dist/main.js)', () => {
  it('keeps its sockets, answers 503 where Redis is needed, logs the outage once, recovers by itself, loses nothing acknowledged', async () => {
    const port = await freePort();
    let redis = await startRedis(port, { durable: true });
    const llm = await startFakeLlmServer({ apiKey: 'test-key', deltaLatencyMs: 10 });
    const server = await spawnServer({
      REDIS_URL: `redis://127.0.0.1:${port}`,
      REDIS_KEY_PREFIX: `outage-${port}:`,
      LLM_BASE_URL: llm.baseUrl,
      LLM_API_KEY: 'test-key',
      LOG_FORMAT: 'json',
    });
    const count = (pattern: RegExp) => server.output().split('\n').filter((line) => pattern.test(line)).length;
    try {
      const { client, login } = await WsTestClient.loggedIn(server.wsUrl, 'outage_user');
      const { client: idle } = await WsTestClient.loggedIn(server.wsUrl, 'outage_idle');
      client.send({ type: 'chat', query: '停机之前' });
      assert.equal((await client.nextOf('chat_response')).data.msg, '收到：停机之前');

      // Redis goes away while an answer streams: the connected client still gets all of it
      const long = '长'.repeat(100); // 50 deltas × 10 ms
      llm.setReply((body) => (lastUserText(body) === '说个长的' ? long : defaultReply(body)));
      client.send({ type: 'chat', query: '说个长的', stream: true });
      await client.nextOf('chat_delta');
      await redis.stop('SIGTERM');
      const finished = await client.nextOf('chat_response', 20_000);
      assert.equal(finished.data.msg, long);
      assert.equal(finished.data.status ?? 'complete', 'complete');
      for (let i = 0; i < 3; i++) {
        client.send({ type: 'chat', query: `停机中 ${i}` });
        const refused = await client.nextOf('error', 15_000);
        assert.equal(refused.code, 503);
        assert.equal(refused.data.reason, 'store_unavailable');
        assert.match(refused.message, /存储异常/);
      }
      const { login: refusedLogin } = await WsTestClient.loggedIn(server.wsUrl, 'outage_new_user').then(async (r) => {
        await r.client.close();
        return r;
      });
      assert.equal(refusedLogin.code, 503, 'a login cannot store its session');
      const httpLogin = await fetch(`${server.url}/wechat/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"code":"http_user"}' });
      assert.equal(httpLogin.status, 503);
      assert.equal(((await httpLogin.json()) as any).data.reason, 'store_unavailable');
      for (const socket of [client, idle]) {
        socket.send({ type: 'ping' });
        assert.equal((await socket.nextOf('pong')).type, 'pong', 'sockets stay open through the outage');
      }
      assert.equal(server.child.exitCode, null);
      assert.equal(count(/Redis unavailable/), 1, `one line per outage, not per request:\n${server.output()}`);

      redis = await startRedis(port, { dir: redis.dir });
      await until(async () => (await fetch(`${server.url}/wechat/health`)).status === 200, 'health 200 once Redis is back', 15_000, 100);
      await until(() => count(/Redis back/) === 1, 'the recovery line', 5_000, 50);
      // the same session: what was stored before the outage is still there, the refused chats are not;
      // the answer that finished during the outage reached its client but could not be stored (logged)
      client.send({ type: 'login', session_id: login.data.session_id });
      assert.equal((await client.nextOf('login_response')).code, 0);
      client.send({ type: 'chat', query: '恢复之后' });
      assert.equal((await client.nextOf('chat_response')).data.msg, '收到：恢复之后');
      client.send({ type: 'history' });
      const history = await client.nextOf('history_response');
      assert.deepEqual(
        history.data.messages.map((m: { content: string }) => m.content),
        ['停机之前', '收到：停机之前', '说个长的', '恢复之后', '收到：恢复之后'],
      );
      assert.equal(count(/could not store answer/), 1);
      idle.send({ type: 'ping' });
      assert.equal((await idle.nextOf('pong')).type, 'pong');
      assert.equal(count(/Redis unavailable/), 1);
      assert.doesNotMatch(server.output(), /unhandled ?rejection/i);
      await client.close();
      await idle.close();
    } finally {
      await server.stop();
      await llm.close();
      await redis.stop();
      redis.cleanup();
    }
  });
});
