import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { staticPageHeaders, type StaticPageHeaderOptions } from './static-page-headers.js';

/** the headers a real Fastify reply carries after `staticPageHeaders(options)` ran on it */
async function headersOf(options: StaticPageHeaderOptions): Promise<Record<string, unknown>> {
  const app = Fastify();
  const setHeaders = staticPageHeaders(options);
  app.get('/', (_request, reply) => {
    setHeaders(reply);
    return 'ok';
  });
  const res = await app.inject('/');
  await app.close();
  return res.headers;
}

describe('staticPageHeaders', () => {
  it('sets the CSP, nosniff, no-referrer and no-cache; no frame or opener header unless asked', async () => {
    const headers = await headersOf({ csp: "default-src 'self'" });
    assert.equal(headers['content-security-policy'], "default-src 'self'");
    assert.equal(headers['x-content-type-options'], 'nosniff');
    assert.equal(headers['referrer-policy'], 'no-referrer');
    assert.equal(headers['cache-control'], 'no-cache');
    assert.equal(headers['x-frame-options'], undefined);
    assert.equal(headers['cross-origin-opener-policy'], undefined);
  });

  it('adds X-Frame-Options and Cross-Origin-Opener-Policy when given', async () => {
    const headers = await headersOf({ csp: "default-src 'none'", frameOptions: 'DENY', openerPolicy: 'same-origin' });
    assert.equal(headers['content-security-policy'], "default-src 'none'");
    assert.equal(headers['x-frame-options'], 'DENY');
    assert.equal(headers['cross-origin-opener-policy'], 'same-origin');
    assert.equal(headers['x-content-type-options'], 'nosniff');
    assert.equal(headers['cache-control'], 'no-cache');
  });
});
