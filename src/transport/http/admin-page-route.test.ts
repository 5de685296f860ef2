import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import Fastify from 'fastify';
import { ADMIN_PAGE_CSP, registerAdminPageRoute } from './admin-page-route.js';

describe('GET /admin/ (the operators\' page)', () => {
  async function app(adminToken: string | undefined) {
    const fastify = Fastify();
    // an API route beside the page, as app.ts registers /admin/kb and /admin/api
    fastify.get('/admin/api/ping', async () => ({ code: 0, message: 'ok', data: 'pong' }));
    await registerAdminPageRoute(fastify, { adminToken });
    return fastify;
  }

  it('does not exist without ADMIN_TOKEN: /admin and every file answer 404', async () => {
    for (const token of [undefined, '']) {
      const fastify = await app(token);
      for (const url of ['/admin', '/admin/', '/admin/index.html', '/admin/admin.js', '/admin/admin.css']) {
        assert.equal((await fastify.inject(url)).statusCode, 404, `${url} with ADMIN_TOKEN=${JSON.stringify(token)}`);
      }
      await fastify.close();
    }
  });

  it('serves the page with a strict CSP, no framing, nosniff; /admin redirects to /admin/', async () => {
    const fastify = await app('secret-token');
    const bare = await fastify.inject('/admin?token=x');
    assert.equal(bare.statusCode, 302);
    assert.equal(bare.headers.location, '/admin/', 'a query (a token pasted into the URL, say) is not carried along');

    const page = await fastify.inject('/admin/');
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers['content-type']), /text\/html/);
    assert.match(page.body, /管理后台/);
    assert.doesNotMatch(page.body, /secret-token/, 'the token is never in the page');
    const csp = String(page.headers['content-security-policy']);
    assert.equal(csp, ADMIN_PAGE_CSP);
    for (const directive of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"]) {
      assert.ok(csp.includes(directive), directive);
    }
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:|\*/, 'no inline code, no other origin');
    assert.equal(page.headers['x-frame-options'], 'DENY');
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
    assert.equal(page.headers['referrer-policy'], 'no-referrer');
    // the page itself holds no inline script or style: everything is a file from 'self'
    assert.doesNotMatch(page.body, /<script>|<script(?![^>]*\bsrc=)[^>]*>|<style|\sstyle=|\son[a-z]+=/i);
    await fastify.close();
  });

  it('serves every file of admin/ with the same headers and the right types', async () => {
    const fastify = await app('secret-token');
    const files = readdirSync(new URL('../../../admin/', import.meta.url));
    assert.ok(files.includes('admin.js') && files.includes('admin.css'));
    for (const file of files) {
      const res = await fastify.inject(`/admin/${file}`);
      assert.equal(res.statusCode, 200, file);
      assert.equal(res.headers['content-security-policy'], ADMIN_PAGE_CSP, file);
      assert.equal(res.headers['x-content-type-options'], 'nosniff', file);
    }
    assert.match(String((await fastify.inject('/admin/admin.js')).headers['content-type']), /javascript/);
    assert.match(String((await fastify.inject('/admin/admin.css')).headers['content-type']), /text\/css/);
    await fastify.close();
  });

  it('every script the page loads exists, and none uses innerHTML or eval', async () => {
    const fastify = await app('secret-token');
    const page = (await fastify.inject('/admin/')).body;
    const scripts = [...page.matchAll(/<script src="([^"]+)"><\/script>/g)].map((m) => m[1]!);
    assert.ok(scripts.length >= 5, scripts.join());
    for (const src of scripts) {
      const res = await fastify.inject(`/admin/${src}`);
      assert.equal(res.statusCode, 200, src);
      const code = res.body.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, ''); // comments may name what the code avoids
      const unsafe = /innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|setAttribute\(['"]on/.exec(code);
      assert.equal(unsafe, null, `${src} uses ${unsafe?.[0]}`);
      assert.equal(/localStorage/.test(code), false, `${src}: the token stays in sessionStorage`);
    }
    await fastify.close();
  });

  it('leaves the API routes beside it alone, and unknown files are 404', async () => {
    const fastify = await app('secret-token');
    assert.equal((await fastify.inject('/admin/api/ping')).json().data, 'pong');
    for (const url of ['/admin/nope.js', '/admin/api/nope', '/admin/kb/']) {
      assert.equal((await fastify.inject(url)).statusCode, 404, url);
    }
    await fastify.close();
  });

  it('ships in the Docker image: the runtime stage copies admin/', () => {
    const dockerfile = readFileSync(new URL('../../../Dockerfile', import.meta.url), 'utf8');
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    assert.match(runtime, /^COPY admin admin$/m);
  });

  it('nothing outside admin/ is reachable', async () => {
    const fastify = await app('secret-token');
    for (const url of [
      '/admin/../package.json',
      '/admin/%2e%2e/package.json',
      '/admin/..%2fpackage.json',
      '/admin/%2e%2e%2fsrc%2fapp.ts',
      '/admin/..%5cpackage.json',
      '/admin/.gitignore',
      '/admin//etc/passwd',
      '/admin/%00admin.js',
    ]) {
      const res = await fastify.inject(url);
      assert.ok([400, 403, 404].includes(res.statusCode), `${url} → ${res.statusCode}`);
      assert.doesNotMatch(res.body, /"dependencies"|createApp|root:/);
    }
    await fastify.close();
  });
});
