/**
 * Property-based fuzzing of the HTTP API (`/wechat/login`, `/wechat/chat`) against a real
 * gateway: random bodies, content types and hostile keys get a JSON envelope with a catalogue
 * reason (never internal_error, never Fastify's English), and the server stays up.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { errorCatalogue } from '../src/protocol/error-catalogue.js';
import { fuzzSettings, hostileGateway, objectText } from './support/hostile-watch.js';

const reasons = new Set(Object.keys(errorCatalogue));
const fieldNames = ['code', 'openid', 'session_id', 'query', 'stream', 'use_auto_rag', '__proto__', 'constructor', 'prototype'];

const value: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(1e308, -0, 2 ** 64, '', '\u0000', '<script>x</script>', { polluted: true }),
  fc.string({ unit: 'binary', maxLength: 300 }),
);
const body: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  fc.array(fc.tuple(fc.constantFrom(...fieldNames), value), { maxLength: 5 }).map(objectText),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.uint8Array({ maxLength: 300 }),
  fc.constant('['.repeat(30_000) + ']'.repeat(30_000)),
);
const contentType = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '', 'application/json; charset=latin1');

describe('fuzz: HTTP API', () => {
  const state = hostileGateway();

  it('answers every random request with the JSON envelope and a catalogue reason', async () => {
    const { numRuns, seed } = fuzzSettings(200);
    const { gw, watch } = state;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/wechat/login', '/wechat/chat'), body, contentType, async (path, payload, type) => {
        const headers: Record<string, string> = type ? { 'content-type': type } : {};
        const res = await fetch(`${gw.url}${path}`, { method: 'POST', headers, body: payload });
        const text = await res.text();
        const where = `${path} ${type} ${String(payload).slice(0, 120)} → ${res.status} ${text.slice(0, 200)}`;
        if (res.headers.get('content-type')?.startsWith('text/event-stream')) {
          assert.match(text, /"type":"chat_response"/, where);
          return;
        }
        const json = JSON.parse(text);
        assert.equal(typeof json.code, 'number', where);
        assert.equal(typeof json.message, 'string', where);
        if (res.status >= 400) {
          assert.ok(reasons.has(json.data?.reason), where);
          assert.notEqual(json.data.reason, 'internal_error', where);
          assert.match(json.message, /^[\u4e00-\u9fff]/, `a Chinese message, not Fastify's English: ${where}`);
        }
      }),
      { numRuns, seed, endOnFailure: true },
    );
    assert.equal((await fetch(`${gw.url}/wechat/health`)).status, 200);
    watch.assertClean();
  });
});
