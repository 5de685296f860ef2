import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { captureLogger } from '../../test/support/capture-logger.js';
import { listenLoopback } from '../../test/support/listen-loopback.js';
import { freePort } from '../../test/support/spawn-server.js';
import { WechatApiAuth } from './wechat-api-auth.js';
import { WechatError } from './wechat-error.js';

const SECRET = 'app-secret-probe-4d1c9b';

/*
 * The code2Session transport against a raw loopback server doing what a broken upstream or
 * network does (the happy path and WeChat's errcodes run end to end in test/wechat-login.test.ts).
 */
describe('WechatApiAuth over node:http: what a broken upstream gets', () => {
  let handler: (req: IncomingMessage, res: ServerResponse) => void = () => {};
  const server = createServer((req, res) => handler(req, res));
  const sockets = new Set<unknown>();
  server.on('connection', (socket) => sockets.add(socket));
  let base = '';
  before(async () => {
    base = await listenLoopback(server);
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  const auth = (apiBase = base, timeoutMs = 300) => {
    const { logger, lines } = captureLogger('debug');
    return { auth: new WechatApiAuth({ appId: 'wx-app', appSecret: SECRET, apiBase, timeoutMs, logger }), lines };
  };
  const failsWith = async (pending: Promise<unknown>, kind: string, lines: string[]) => {
    await assert.rejects(pending, (error) => {
      assert.ok(error instanceof WechatError, String(error));
      assert.equal(error.kind, kind);
      assert.doesNotMatch(`${error.message} ${String(error.cause ?? '')}`, new RegExp(SECRET));
      return true;
    });
    assert.doesNotMatch(lines.join('\n'), new RegExp(SECRET), 'the secret is in the URL: never in a log line');
  };

  it('answers from one kept-alive connection, with the query WeChat expects', async () => {
    const seen: string[] = [];
    handler = (req, res) => {
      seen.push(req.url!);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ openid: 'o-1', session_key: 'k-1' }));
    };
    sockets.clear();
    const { auth: a } = auth();
    assert.deepEqual(await a.code2Session('c1'), { openid: 'o-1', unionid: undefined, sessionKey: 'k-1' });
    await a.code2Session('c2');
    const query = new URL(seen[0]!, base).searchParams;
    assert.deepEqual(Object.fromEntries(query), { appid: 'wx-app', secret: SECRET, js_code: 'c1', grant_type: 'authorization_code' });
    assert.equal(sockets.size, 1, 'the second login reused the connection');
  });

  it('HTTP 500, a body that is not JSON, and a reply past 1 MiB are failures', async () => {
    for (const reply of [
      (res: ServerResponse) => res.writeHead(500).end('<html>busy</html>'),
      (res: ServerResponse) => res.end('<html>not json</html>'),
      (res: ServerResponse) => res.end(`{"openid":"${'x'.repeat(2 * 1024 * 1024)}"}`),
    ]) {
      handler = (_req, res) => reply(res);
      const { auth: a, lines } = auth();
      await failsWith(a.code2Session('c'), 'failed', lines);
    }
  });

  it('a refused connection fails, an upstream that never answers times out', async () => {
    const refused = auth(`http://127.0.0.1:${await freePort()}`);
    await failsWith(refused.auth.code2Session('c'), 'failed', refused.lines);
    handler = () => {}; // holds the request
    const hung = auth(base, 150);
    await failsWith(hung.auth.code2Session('c'), 'timeout', hung.lines);
  });
});
