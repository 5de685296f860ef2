import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startFakeLlmServer } from './support/fake-llm-server.js';
import { serverCommand, serverEntry, spawnServer, startFlags } from './support/spawn-server.js';
import { until } from './support/wait.js';
import { WsTestClient } from './support/ws-test-client.js';

const run = promisify(execFile);

describe('the real process: start-up, configuration errors, SIGTERM', () => {
  it('starts on the embedded defaults: dev login, offline mode answering from the sample knowledge base, SQLite, loud warnings', async () => {
    const server = await spawnServer();
    try {
      // what `npm start` runs: compiled JavaScript, no TypeScript loader
      assert.deepEqual(server.child.spawnargs.slice(1), [...startFlags(), serverEntry]);
      // the bundle finds the files it serves from the project directory (src/project-dir.ts)
      const consolePage = await fetch(`${server.url}/console/`);
      assert.equal(consolePage.status, 200);
      assert.match(await consolePage.text(), /<html/i);
      assert.equal((await fetch(`${server.url}/console/lib/markdown-inline.js`)).status, 200);
      const health = (await (await fetch(`${server.url}/wechat/health`)).json()) as any;
      assert.equal(health.data.llm.mode, 'offline');
      assert.equal(health.data.wechat.mode, 'dev');
      assert.equal(health.data.store.driver, 'sqlite');
      assert.match(server.output(), /DEV LOGIN is on/);
      assert.match(server.output(), /offline mode/);
      const { client } = await WsTestClient.loggedIn(server.wsUrl);
      client.send({ type: 'chat', query: '你好' });
      const answer = await client.nextOf('chat_response');
      assert.equal(answer.code, 0);
      assert.match(answer.data.msg, /离线|LLM_BASE_URL/);
      // the sample knowledge base, loaded on first start, answers the classic first question
      client.send({ type: 'chat', query: 'socket 合法域名怎么配置？' });
      const fromKb = await client.nextOf('chat_response');
      assert.match(fromKb.data.msg, /socket 合法域名/);
      assert.match(fromKb.data.msg, /来源：kb-sample\/接入指南\.md/);
      assert.equal(fromKb.data.sources[0].source, 'kb-sample/接入指南.md');
      await client.close();
    } finally {
      await server.stop();
    }
  });

  for (const [env, variable] of [
    [{ PORT: 'eighty' }, 'PORT'],
    [{ NODE_ENV: 'production' }, 'WECHAT_APPID'],
    [{ NODE_ENV: 'production', WECHAT_APPID: 'wx1' }, 'WECHAT_APP_SECRET'],
    [{ LLM_BASE_URL: 'not a url' }, 'LLM_BASE_URL'],
    [{ WS_MAX_FRAME_BYTES: '-5' }, 'WS_MAX_FRAME_BYTES'],
    [{ GC_MODE: 'fast' }, 'GC_MODE'],
  ] as const) {
    it(`refuses to start with a bad ${variable}, naming it`, async () => {
      const [node, args] = serverCommand();
      const result = await run(node, args, {
        env: { PATH: process.env.PATH, ENV_FILE: '/dev/null', DATA_DIR: '/tmp/wag-never', ...env },
      }).then(
        () => ({ code: 0, stderr: '' }),
        (error: { code: number; stderr: string }) => error,
      );
      assert.equal(result.code, 1);
      assert.match(result.stderr, new RegExp(variable));
      assert.equal(result.stderr.trim().split('\n').length, 1, `one message: ${result.stderr}`);
    });
  }

  it('SIGTERM: refuses new sockets, lets the answer in flight finish, closes with 1001, exits 0', async () => {
    const llm = await startFakeLlmServer({ deltaLatencyMs: 20, reply: () => '关机前要说完的话。'.repeat(5) });
    const server = await spawnServer({ LLM_BASE_URL: llm.baseUrl, SHUTDOWN_GRACE_MS: '10000' });
    try {
      const { client } = await WsTestClient.loggedIn(server.wsUrl);
      client.send({ type: 'chat', query: '说吧', stream: true });
      await client.nextOf('chat_delta');
      server.child.kill('SIGTERM');
      // the server logs this in the same tick it stops accepting
      await until(() => /shutting down/.test(server.output()), 'the shutdown log line');
      const late = await WsTestClient.connect(server.wsUrl);
      const refused = await late.nextOf('error');
      assert.equal(refused.data.reason, 'shutting_down');
      assert.equal((await late.closed).code, 1001);
      const response = await client.nextOf('chat_response', 10_000);
      assert.equal(response.data.status, 'complete');
      assert.equal(response.data.msg, '关机前要说完的话。'.repeat(5));
      assert.equal((await client.closed).code, 1001);
      assert.equal(await server.exited, 0);
    } finally {
      await server.stop();
      await llm.close();
    }
  });

  it('SIGTERM past the grace period: the answer ends as cancelled with its partial text', async () => {
    const llm = await startFakeLlmServer({ deltaLatencyMs: 50, reply: () => '很长很长的回答。'.repeat(50) });
    const server = await spawnServer({ LLM_BASE_URL: llm.baseUrl, SHUTDOWN_GRACE_MS: '300' });
    try {
      const { client } = await WsTestClient.loggedIn(server.wsUrl);
      client.send({ type: 'chat', query: '说吧', stream: true });
      await client.nextOf('chat_delta');
      server.child.kill('SIGTERM');
      const response = await client.nextOf('chat_response', 10_000);
      assert.equal(response.data.status, 'cancelled');
      assert.ok(response.data.msg.length > 0);
      assert.equal((await client.closed).code, 1001);
      assert.equal(await server.exited, 0);
    } finally {
      await server.stop();
      await llm.close();
    }
  });
});
