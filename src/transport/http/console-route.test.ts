import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';
import { CONSOLE_SHARED_LIB, registerConsoleRoute } from './console-route.js';

describe('GET /console (the browser console)', () => {
  async function app() {
    const fastify = Fastify();
    await registerConsoleRoute(fastify);
    return fastify;
  }

  it('serves the page with a strict CSP, and redirects /console to /console/', async () => {
    const fastify = await app();
    const bare = await fastify.inject('/console');
    assert.equal(bare.statusCode, 302);
    assert.equal(bare.headers.location, '/console/');
    assert.equal((await fastify.inject('/console?gateway=http://127.0.0.1:1')).headers.location, '/console/?gateway=http://127.0.0.1:1');

    const page = await fastify.inject('/console/');
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers['content-type']), /text\/html/);
    assert.match(page.body, /wechat-ai-gateway 控制台/);
    const csp = String(page.headers['content-security-policy']);
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /style-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(page.headers['x-content-type-options'], 'nosniff');

    for (const file of ['console.js', 'render.js', 'kb-search.js', 'console.css']) {
      const res = await fastify.inject(`/console/${file}`);
      assert.equal(res.statusCode, 200, file);
    }
    assert.match(String((await fastify.inject('/console/console.js')).headers['content-type']), /javascript/);
    await fastify.close();
  });

  it('shares exactly the mini-program converter and error texts, nothing else of the kit', async () => {
    const fastify = await app();
    for (const name of CONSOLE_SHARED_LIB) {
      const res = await fastify.inject(`/console/lib/${name}`);
      assert.equal(res.statusCode, 200, name);
      assert.equal(res.body, readFileSync(new URL(`../../../miniprogram/lib/${name}`, import.meta.url), 'utf8'));
    }
    for (const url of ['/console/lib/chat-client.js', '/console/lib/', '/console/lib/index.js']) {
      assert.equal((await fastify.inject(url)).statusCode, 404, url);
    }
    await fastify.close();
  });

  it('nothing outside console/ is reachable', async () => {
    const fastify = await app();
    for (const url of ['/console/../package.json', '/console/%2e%2e/package.json', '/console/..%2fpackage.json', '/console/lib/..%2f..%2fpackage.json', '/console/.gitignore']) {
      const res = await fastify.inject(url);
      assert.ok(res.statusCode === 404 || res.statusCode === 403 || res.statusCode === 400, `${url} → ${res.statusCode}`);
      assert.doesNotMatch(res.body, /"dependencies"/);
    }
    await fastify.close();
  });
});
