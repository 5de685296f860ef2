import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startFakeLlmServer } from './support/fake-llm-server.js';
import { freePort } from './support/spawn-server.js';
import { startRedis } from './support/redis-server.js';
import { startGateway } from './support/start-gateway.js';
import { WsTestClient } from './support/ws-test-client.js';

describe('answers in flight when Redis goes away', () => {
  it('the answer still reaches its connected client, every delta once; Redis errors logged once, nothing thrown', async () => {
    const port = await freePort();
    const redis = await startRedis(port);
    const stopRedis = () => redis.stop('SIGKILL');
    const full = 'Redis 断了，回答照样送到。'.repeat(3);
    const llm = await startFakeLlmServer({ apiKey: 'test-key', deltaLatencyMs: 30, deltaChars: 1 });
    llm.setReply(() => full);
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const gw = await startGateway({ llm, store: { redisPrefix: 'answers-outage:', url: `redis://127.0.0.1:${port}` }, env: { STREAM_COALESCE_MS: '0' } });
    try {
      const { client } = await WsTestClient.loggedIn(gw.wsUrl, 'outage_answer');
      client.send({ type: 'chat', query: '讲', stream: true });
      await client.nextOf('chat_processing');
      const first = (await client.nextOf('chat_delta')).data;
      await stopRedis();
      const response = await client.nextOf('chat_response', 20_000);
      const deltas = [first, ...response.skipped.filter((f) => f.type === 'chat_delta').map((f) => f.data)];
      assert.deepEqual(deltas.map((d) => d.index), deltas.map((_, i) => i));
      assert.equal(deltas.map((d) => d.delta).join(''), full);
      assert.equal(response.data.msg, full);
      client.send({ type: 'ping' });
      await client.nextOf('pong');
      const warned = gw.logs.filter((line) => line.includes('redis unavailable (answers in flight)'));
      assert.equal(warned.length, 1, 'logged once, not per delta');
      assert.deepEqual(unhandled, []);
      await client.close();
    } finally {
      await gw.stop();
      await llm.close();
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
