import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { startFakeLlmServer } from './support/fake-llm-server.js';
import { freePort } from './support/spawn-server.js';
import { startGateway } from './support/start-gateway.js';
import { WsTestClient } from './support/ws-test-client.js';

/** A private redis-server on a loopback port, so the test can take it away and bring it back. */
async function startRedis(port: number) {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => undefined); // refused while the server starts: expected
  for (let i = 0; ; i++) {
    try {
      await probe.connect();
      await probe.ping();
      break;
    } catch {
      if (i > 50) throw new Error('redis-server did not start');
      await sleep(100);
    }
  }
  probe.disconnect();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    stop: () => {
      child.kill('SIGKILL');
      return exited;
    },
  };
}

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
