import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway } from './support/start-gateway.js';

/** The page as the real gateway wires it (src/app.ts): beside /admin/api and /admin/kb, only with ADMIN_TOKEN. */
describe('/admin/ in the real gateway', () => {
  it('without ADMIN_TOKEN the page is an ordinary unknown path', async () => {
    const gw = await startGateway({ knowledgeBase: true, env: { KB_LOAD_SAMPLE: 'false' } });
    try {
      const unknown = await fetch(`${gw.url}/no-such-page/`);
      for (const path of ['/admin', '/admin/', '/admin/admin.js', '/admin/index.html']) {
        const res = await fetch(`${gw.url}${path}`, { redirect: 'manual' });
        assert.equal(res.status, 404, path);
        assert.deepEqual(await res.json(), await unknown.clone().json(), `${path} answers like any unknown path`);
      }
    } finally {
      await gw.stop();
    }
  });

  it('with ADMIN_TOKEN: the page is public (it is a sign-in form), the APIs beside it still need the token', async () => {
    const gw = await startGateway({ knowledgeBase: true, env: { ADMIN_TOKEN: 'page-http-token', KB_LOAD_SAMPLE: 'false' } });
    try {
      const page = await fetch(`${gw.url}/admin/`);
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
      assert.equal(page.headers.get('x-frame-options'), 'DENY');
      const html = await page.text();
      assert.match(html, /<input id="token" type="password"/);
      assert.doesNotMatch(html, /page-http-token/);
      for (const src of html.matchAll(/<script src="([^"]+)"/g)) {
        assert.equal((await fetch(`${gw.url}/admin/${src[1]}`)).status, 200, src[1]);
      }
      for (const path of ['/admin/api/conversations', '/admin/api/usage', '/admin/kb/documents']) {
        const res = await fetch(`${gw.url}${path}`);
        assert.equal(res.status, 401, path);
        assert.equal(((await res.json()) as { data: { reason: string } }).data.reason, 'admin_unauthorized', path);
      }
      const ok = await fetch(`${gw.url}/admin/api/conversations`, { headers: { authorization: 'Bearer page-http-token' } });
      assert.equal(ok.status, 200);
      assert.equal(((await ok.json()) as { code: number }).code, 0);
    } finally {
      await gw.stop();
    }
  });
});
