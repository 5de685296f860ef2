import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { startRedis } from '../../../test/support/redis-server.js';
import { freePort } from '../../../test/support/spawn-server.js';
import { until } from '../../../test/support/wait.js';
import { closeRedisClient } from './close-redis-client.js';
import { createRedisClient, reconnectBackoff } from './create-redis-client.js';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('closeRedisClient', () => {
  it('a write asked for in the same turn as the close is answered and kept, not cut off by QUIT', async () => {
    const key = `wag-close-test:${randomUUID()}`;
    const reader = new Redis(url);
    after(() => reader.quit());
    // as every auto-pipelined connection of the gateway: the SET leaves on the next turn
    const client = createRedisClient(url, { lazyConnect: true, enableAutoPipelining: true });
    await client.connect();
    const written = Promise.all([client.set(key, 'kept', 'EX', 60), client.incr(`${key}:n`), client.expire(`${key}:n`, 60)]);
    await closeRedisClient(client);
    assert.deepEqual(await written, ['OK', 1, 1]);
    assert.equal(await reader.get(key), 'kept');
    await until(() => client.status === 'end', 'the connection ends', 2_000, 5);
    await reader.del(key, `${key}:n`);
  });

  it('a client that never connected, or whose Redis died, is dropped at once and stops reconnecting', async () => {
    const nobody = createRedisClient(`redis://127.0.0.1:${await freePort()}`, { lazyConnect: true, retryStrategy: reconnectBackoff });
    nobody.on('error', () => undefined);
    await closeRedisClient(nobody);
    assert.equal(nobody.status, 'end');

    const redis = await startRedis(await freePort());
    const client = createRedisClient(`redis://127.0.0.1:${redis.port}`, { lazyConnect: true, retryStrategy: reconnectBackoff });
    let reconnects = 0;
    client.on('error', () => undefined);
    client.on('reconnecting', () => reconnects++);
    await client.connect();
    await redis.stop();
    await until(() => reconnects > 0, 'the client notices and retries', 5_000, 10);
    await closeRedisClient(client);
    const seen = reconnects;
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(reconnects, seen, 'no attempt after the close');
  });
});
