import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import Fastify from 'fastify';
import { RedisAdminStore } from '../../admin/redis/redis-admin-store.js';
import { createJiebaTokenizer } from '../../knowledge-base/index/tokenizer.js';
import { createRedisClient } from '../../store/redis/create-redis-client.js';
import { adminApiRoutes } from './admin-api-routes.js';

const TOKEN = 'route-test-token-0123456789';

/** A loopback port nothing listens on: connections are refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('a store that is down answers 503 store_unavailable, before any export byte is sent', async () => {
  const client = createRedisClient(`redis://127.0.0.1:${await closedPort()}`, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: true,
  });
  client.on('error', () => {});
  const store = new RedisAdminStore(client, 'x:', createJiebaTokenizer(), async () => client.disconnect());
  const app = Fastify();
  await app.register(adminApiRoutes, { store, adminToken: TOKEN });
  const headers = { authorization: `Bearer ${TOKEN}` };
  for (const url of ['/admin/api/conversations', '/admin/api/conversations/abc', '/admin/api/feedback', '/admin/api/usage', '/admin/api/export?format=csv']) {
    const res = await app.inject({ method: 'GET', url, headers });
    assert.equal(res.statusCode, 503, url);
    assert.equal(res.json().data.reason, 'store_unavailable', url);
    assert.equal(res.headers['content-disposition'], undefined, url);
  }
  await app.close();
  await store.close();
});
