import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { spawnServer } from './support/spawn-server.js';
import { until } from './support/wait.js';
import { WsTestClient } from './support/ws-test-client.js';

/** The compiled gateway with the admin console on: its index thread starts from the bundle (dist/admin-index-worker.js). */
describe('the admin index thread in the real process', () => {
  it('indexes a chat in the background without an operator query, and never falls back to the event loop', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wag-admin-index-'));
    const server = await spawnServer({ ADMIN_TOKEN: 'admin-index-process-token', KB_LOAD_SAMPLE: 'false', DATA_DIR: dataDir });
    try {
      const { client } = await WsTestClient.loggedIn(server.wsUrl);
      client.send({ type: 'chat', query: '怎么申请退货？' });
      await client.nextOf('chat_response');
      const file = new Database(join(dataDir, 'gateway.sqlite'), { readonly: true });
      try {
        const indexed = () => file.prepare('SELECT COUNT(*) FROM admin_conversations').pluck().get() as number;
        await until(() => indexed() === 1, 'indexed in the background', 10_000);
      } finally {
        file.close();
      }
      assert.doesNotMatch(server.output(), /admin index/, 'the thread started from the bundle and did not fail');
      client.socket.close();
    } finally {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
