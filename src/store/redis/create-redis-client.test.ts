import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cluster, Redis } from 'ioredis';
import { createRedisClient } from './create-redis-client.js';

// No Sentinel or Cluster runs here: these check what the client is configured with, not a
// connection (lazyConnect, so nothing is dialled).
describe('createRedisClient', () => {
  const tuning = { lazyConnect: true, maxRetriesPerRequest: 2, commandTimeout: 5_000, retryStrategy: () => 100 };

  it('one server: a plain Redis client on that URL', async () => {
    const client = createRedisClient('redis://:pw@127.0.0.1:6390/3', tuning);
    assert.ok(client instanceof Redis);
    assert.equal(client.options.port, 6390);
    assert.equal(client.options.db, 3);
    assert.equal(client.options.password, 'pw');
    assert.equal(client.options.maxRetriesPerRequest, 2);
    client.disconnect();
  });

  it('Sentinel: a Redis client that asks the Sentinels for the named master', async () => {
    const client = createRedisClient('rediss+sentinel://:pw@10.0.0.1:26379,10.0.0.2:26380/mymaster?db=1&sentinelPassword=sp', tuning);
    assert.ok(client instanceof Redis);
    const { sentinels, name, password, sentinelPassword, db, tls, enableTLSForSentinelMode, commandTimeout } = client.options;
    assert.deepEqual(sentinels, [
      { host: '10.0.0.1', port: 26379 },
      { host: '10.0.0.2', port: 26380 },
    ]);
    assert.deepEqual({ name, password, sentinelPassword, db, commandTimeout }, { name: 'mymaster', password: 'pw', sentinelPassword: 'sp', db: 1, commandTimeout: 5_000 });
    assert.deepEqual(tls, {});
    assert.equal(enableTLSForSentinelMode, true);
    client.disconnect();
  });

  it('Cluster: a Cluster client on the seed nodes, credentials and timeouts per node', async () => {
    const client = createRedisClient('redis+cluster://app:pw@10.0.0.1:7000,10.0.0.2:7001', tuning);
    assert.ok(client instanceof Cluster);
    assert.deepEqual((client as unknown as { startupNodes: unknown }).startupNodes, [
      { host: '10.0.0.1', port: 7000 },
      { host: '10.0.0.2', port: 7001 },
    ]);
    const { redisOptions, lazyConnect, clusterRetryStrategy } = client.options;
    assert.equal(lazyConnect, true);
    assert.equal(clusterRetryStrategy?.(1), 100);
    assert.deepEqual(
      { username: redisOptions?.username, password: redisOptions?.password, commandTimeout: redisOptions?.commandTimeout, maxRetriesPerRequest: redisOptions?.maxRetriesPerRequest },
      { username: 'app', password: 'pw', commandTimeout: 5_000, maxRetriesPerRequest: 2 },
    );
    client.disconnect();
  });
});
