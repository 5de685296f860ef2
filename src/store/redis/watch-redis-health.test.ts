import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startRedis } from '../../../test/support/redis-server.js';
import { freePort } from '../../../test/support/spawn-server.js';
import { until } from '../../../test/support/wait.js';
import { createRedisClient } from './create-redis-client.js';
import { watchRedisHealth } from './watch-redis-health.js';

describe('watchRedisHealth', () => {
  it('reports one down and one up per outage however many reconnects fail, and nothing for a deliberate quit', async () => {
    const port = await freePort();
    let redis = await startRedis(port);
    const client = createRedisClient(`redis://127.0.0.1:${port}`, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => 20, // many refused attempts while it is down
    });
    const events: string[] = [];
    let errors = 0;
    client.on('error', () => errors++);
    const health = watchRedisHealth(client, { onDown: () => events.push('down'), onUp: () => events.push('up') });
    try {
      await client.connect();
      assert.deepEqual(events, [], 'the first connect is no recovery');
      for (let outage = 0; outage < 2; outage++) {
        await redis.stop('SIGKILL');
        await until(() => errors >= 5, 'several failed reconnects');
        assert.equal(health.isDown(), true);
        await assert.rejects(client.ping());
        redis = await startRedis(port);
        await until(() => !health.isDown(), 'the client ready again', 10_000);
        errors = 0;
      }
      assert.deepEqual(events, ['down', 'up', 'down', 'up']);
      assert.equal(await client.ping(), 'PONG');
      health.stop();
      await client.quit();
      await until(() => client.status === 'end', 'the connection closed');
      assert.deepEqual(events, ['down', 'up', 'down', 'up'], 'quit is not an outage');
    } finally {
      client.disconnect();
      await redis.stop();
    }
  });
});
