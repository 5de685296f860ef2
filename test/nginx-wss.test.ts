import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { connect as tlsConnect } from 'node:tls';
import { Redis } from 'ioredis';
import { runSeedPythonScript } from './support/seed-document.js';
import { spawnServer, type SpawnedServer } from './support/spawn-server.js';
import { findNginx, startNginx, type RunningNginx } from './support/start-nginx.js';
import { until } from './support/wait.js';
import { WsTestClient } from './support/ws-test-client.js';

const nginxBinary = findNginx();
// .ci/run installs nginx and sets CI: there a missing nginx fails the test instead of skipping it
const skip = !nginxBinary && !process.env.CI ? 'nginx is not installed (apt-get install -y nginx; .ci/run installs it)' : false;

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any;
}

/**
 * deploy/nginx.conf as shipped, started as real nginx with a self-signed certificate, in front of
 * two real gateway processes (compiled dist/main.js) that share the real Redis, as
 * docker-compose.yml runs them.
 */
describe('deploy/nginx.conf: TLS and round-robin in front of two gateways over one Redis', { skip }, () => {
  const prefix = `wag-nginx-${randomBytes(4).toString('hex')}:`;
  const metricsToken = 'metrics-token-for-the-test';
  const instances: SpawnedServer[] = [];
  let nginx: RunningNginx;
  let ca: Buffer;
  // one keep-alive connection: nginx's round-robin then alternates on it (one worker serves it)
  let agent: Agent;

  before(async () => {
    assert.ok(nginxBinary, 'nginx is missing: apt-get update && apt-get install -y nginx (.ci/run installs it when missing)');
    const env = { REDIS_URL: 'redis://127.0.0.1:6379', REDIS_KEY_PREFIX: prefix, TRUST_PROXY: 'true', METRICS_TOKEN: metricsToken };
    instances.push(await spawnServer(env), await spawnServer(env));
    nginx = await startNginx(nginxBinary, instances.map((s) => new URL(s.url).host));
    ca = readFileSync(nginx.certFile);
    agent = new Agent({ ca, keepAlive: true, maxSockets: 1 });
  });
  after(async () => {
    agent?.destroy();
    await nginx?.stop();
    await Promise.all(instances.map((s) => s.stop()));
    const redis = new Redis('redis://127.0.0.1:6379');
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  /** An https request through nginx, trusting only the test's certificate. */
  function viaNginx(method: string, path: string, options: { body?: unknown; headers?: Record<string, string>; localAddress?: string } = {}): Promise<Reply> {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        `${nginx.httpsUrl}${path}`,
        {
          method,
          // a client from another loopback address gets its own connection
          ...(options.localAddress ? { ca, localAddress: options.localAddress, agent: false } : { agent }),
          headers: { ...(payload ? { 'content-type': 'application/json' } : {}), ...options.headers },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk) => (text += chunk));
          res.on('end', () => {
            let json: unknown;
            try {
              json = JSON.parse(text);
            } catch {
              json = undefined;
            }
            resolve({ status: res.statusCode!, headers: res.headers, text, json });
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** The instance whose request log shows `tag`, and the logged request (remoteAddress = request.ip). */
  async function servedBy(tag: string): Promise<{ instance: number; req: { url: string; remoteAddress: string } }> {
    let found: { instance: number; req: { url: string; remoteAddress: string } } | undefined;
    await until(() => {
      for (const [instance, server] of instances.entries()) {
        const line = server.output().split('\n').find((l) => l.includes(tag) && l.includes('"req":'));
        if (line) found = { instance, req: JSON.parse(line).req };
      }
      return found !== undefined;
    }, `a gateway logging the request tagged ${tag}`);
    return found!;
  }

  it('the seed document\'s Python script passes over wss:// through nginx, unchanged but for the URI', async () => {
    // the script's default TLS context trusts the self-signed certificate through SSL_CERT_FILE
    await runSeedPythonScript(nginx.wssUrl, { PATH: process.env.PATH, SSL_CERT_FILE: nginx.certFile });
    assert.match(nginx.accessLog(), /"GET \/wechat\/ws" 101 /, 'the upgrade went through nginx');
  });

  it('https: health alternates between the two instances; a login on one and a chat on the other share the session', async () => {
    const served: number[] = [];
    for (let i = 0; i < 4; i++) {
      const tag = `probe-${randomUUID()}`;
      const health = await viaNginx('GET', `/wechat/health?${tag}`);
      assert.equal(health.status, 200, health.text);
      assert.equal(health.json.code, 0);
      assert.deepEqual(health.json.data.store, { driver: 'redis', ok: true });
      served.push((await servedBy(tag)).instance);
    }
    assert.deepEqual(new Set(served), new Set([0, 1]), `both instances served: ${served}`);
    for (let i = 1; i < served.length; i++) assert.notEqual(served[i], served[i - 1], `round-robin alternates: ${served}`);

    const loginTag = `login-${randomUUID()}`;
    const login = await viaNginx('POST', `/wechat/login?${loginTag}`, { body: { code: 'nginx_code' } });
    assert.equal(login.status, 200, login.text);
    assert.equal(login.json.code, 0);
    const sessionId: string = login.json.data.session_id;
    const chatTag = `chat-${randomUUID()}`;
    const chat = await viaNginx('POST', `/wechat/chat?${chatTag}`, { body: { query: '经过 nginx 的问题', session_id: sessionId } });
    assert.equal(chat.status, 200, chat.text);
    assert.equal(chat.json.code, 0);
    assert.ok(chat.json.data.msg.length > 0);
    const [loginOn, chatOn] = [(await servedBy(loginTag)).instance, (await servedBy(chatTag)).instance];
    assert.notEqual(chatOn, loginOn, 'the chat was answered by the instance that did not log in');

    // and over wss://, wherever this socket lands, the session and its history are there
    const client = await WsTestClient.connect(nginx.wssUrl, { ca });
    await client.nextOf('connected');
    client.send({ type: 'login', session_id: sessionId });
    assert.equal((await client.nextOf('login_response')).data.openid, login.json.data.openid);
    client.send({ type: 'history' });
    const messages = (await client.nextOf('history_response')).data.messages;
    assert.equal(messages[0].content, '经过 nginx 的问题');
    await client.close();
  });

  it('https: POST /wechat/chat with stream: true arrives through nginx as the event stream, ending with chat_response', async () => {
    const login = await viaNginx('POST', '/wechat/login', { body: { code: 'nginx_stream_code' } });
    const reply = await viaNginx('POST', '/wechat/chat', { body: { query: '流式经过 nginx', session_id: login.json.data.session_id, stream: true } });
    assert.equal(reply.status, 200);
    assert.match(String(reply.headers['content-type']), /^text\/event-stream/);
    const events = reply.text.split('\n\n').filter(Boolean).map((event) => JSON.parse(event.replace(/^data: /, '')));
    assert.equal(events[0].type, 'chat_processing');
    const final = events.at(-1);
    assert.equal(final.type, 'chat_response');
    assert.equal(final.code, 0);
    const deltas = events.filter((e) => e.type === 'chat_delta').map((e) => e.data.delta).join('');
    assert.equal(deltas, final.data.msg, 'every delta passed through, in order');
  });

  it('the gateway sees the client\'s address, not nginx\'s, and a forged X-Forwarded-For does not change it', async () => {
    const tag = `ip-${randomUUID()}`;
    // from 127.0.0.3: nginx itself connects to the instances from 127.0.0.1
    const health = await viaNginx('GET', `/wechat/health?${tag}`, { localAddress: '127.0.0.3', headers: { 'x-forwarded-for': '203.0.113.7' } });
    assert.equal(health.status, 200);
    assert.equal((await servedBy(tag)).req.remoteAddress, '127.0.0.3');
  });

  it('/metrics is served by each instance to Prometheus, never through nginx', async () => {
    const auth = { authorization: `Bearer ${metricsToken}` };
    const direct = await fetch(`${instances[0]!.url}/metrics`, { headers: auth });
    assert.equal(direct.status, 200, 'the instance serves /metrics with the token');
    await direct.text();
    for (const path of ['/metrics', '/metrics?x=1', '/metrics/']) {
      const proxied = await viaNginx('GET', path, { headers: auth });
      assert.equal(proxied.status, 404, path);
      assert.doesNotMatch(proxied.text, /wag_/, path);
    }
  });

  it('TLS 1.2 and 1.3 are both accepted; plain http only redirects to https', async () => {
    for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
      const negotiated = await new Promise<string | null>((resolve, reject) => {
        const socket = tlsConnect({ host: '127.0.0.1', port: Number(new URL(nginx.httpsUrl).port), ca, minVersion: version, maxVersion: version }, () => {
          resolve(socket.getProtocol());
          socket.end();
        });
        socket.on('error', reject);
      });
      assert.equal(negotiated, version);
    }
    const redirect = await new Promise<{ status: number; location: string | undefined }>((resolve, reject) => {
      httpRequest(`${nginx.httpUrl}/wechat/health`, (res) => {
        res.resume();
        resolve({ status: res.statusCode!, location: res.headers.location });
      })
        .on('error', reject)
        .end();
    });
    assert.equal(redirect.status, 301);
    assert.equal(redirect.location, 'https://127.0.0.1/wechat/health');
  });

  it('nginx logged no warning or error while serving all of the above', () => {
    assert.doesNotMatch(nginx.errorLog(), /\[(warn|error|crit|alert|emerg)\]/, nginx.errorLog());
  });

  it('a body over HTTP_MAX_BODY_BYTES is refused by nginx itself', async () => {
    const big = await viaNginx('POST', '/wechat/login', { body: { code: 'x'.repeat(70 * 1024) } });
    assert.equal(big.status, 413);
    assert.equal(big.json, undefined, 'nginx\'s own 413 page, not the gateway\'s JSON: the body never reached an instance');
  });
});
