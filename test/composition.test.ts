import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { startFakeWechatServer, type FakeWechatServer } from './support/fake-wechat-server.js';
import { startGateway, type RunningGateway } from './support/start-gateway.js';

/** What the composition root builds from the config, seen from outside through the real app. */
describe('composition: defaults that depend on NODE_ENV, limits per transport', () => {
  const running: Array<RunningGateway | FakeWechatServer> = [];
  after(async () => {
    for (const thing of running.reverse()) await ('stop' in thing ? thing.stop() : thing.close());
  });

  it('production: no console and no sample documents, so a customer bot never answers from our guide', async () => {
    const wechat = await startFakeWechatServer();
    running.push(wechat);
    const gw = await startGateway({ wechat, knowledgeBase: true, env: { NODE_ENV: 'production' } });
    running.push(gw);
    assert.equal((await fetch(`${gw.url}/console`)).status, 404);
    assert.equal(gw.knowledgeBase?.size(), 0);
    assert.deepEqual(await gw.knowledgeBase?.listDocuments(), []);
  });

  it('development: the console and the sample knowledge base are there to try it out', async () => {
    const gw = await startGateway({ knowledgeBase: true, env: { NODE_ENV: 'development' } });
    running.push(gw);
    assert.equal((await fetch(`${gw.url}/console`)).status, 200);
    assert.ok((gw.knowledgeBase?.size() ?? 0) > 0);
  });

  it('HTTP bodies have their own limit: a small WS frame limit does not cap /wechat/chat', async () => {
    const gw = await startGateway({ env: { WS_MAX_FRAME_BYTES: '1024', HTTP_MAX_BODY_BYTES: '8192' } });
    running.push(gw);
    const login = (await (await post(`${gw.url}/wechat/login`, { code: 'body-limit' })).json()) as { data: { session_id: string } };
    const question = '请问'.repeat(600); // 1,200 characters, 3,600 bytes of UTF-8: over the WS limit, under HTTP's
    const ok = await post(`${gw.url}/wechat/chat`, { query: question, session_id: login.data.session_id });
    assert.equal(ok.status, 200, await ok.clone().text());
    const tooBig = await post(`${gw.url}/wechat/chat`, { query: '问'.repeat(3000), session_id: login.data.session_id });
    assert.equal(tooBig.status, 413);
    const body = (await tooBig.json()) as { code: number; message: string; data: { reason: string } };
    assert.deepEqual(body, { code: 413, message: '请求体过大', data: { reason: 'body_too_large' } });
  });
});

function post(url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}
