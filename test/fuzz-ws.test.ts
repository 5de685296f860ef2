/**
 * Property-based fuzzing of the WebSocket protocol against a real gateway (in this process, so
 * an unhandled rejection or prototype pollution shows up here). The property: every frame a
 * client sends is answered with well-formed frames — bad ones with a typed `error` from the
 * catalogue — or the socket is closed with a documented close code; the server stays up.
 *
 * CI runs a fixed seed and few runs; `npm run fuzz` runs many with a random (printed) seed.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { errorCatalogue } from '../src/protocol/error-catalogue.js';
import { CloseCode } from '../src/protocol/close-codes.js';
import { fuzzSettings, hostileGateway, objectText } from './support/hostile-watch.js';
import { WsTestClient, type Frame } from './support/ws-test-client.js';

const MAX_FRAME_BYTES = 1024 * 1024;
const reasons = new Set(Object.keys(errorCatalogue));
const documentedCloseCodes = new Set<number>([1000, 1006, 1007, ...Object.values(CloseCode)]);

/** Field names the protocol uses, so random objects reach the validators, not only `unknown_type`. */
const fieldNames = ['type', 'code', 'session_id', 'query', 'stream', 'use_auto_rag', 'request_id', 'id', 'from_index', 'limit', 'openid'];
const messageTypes = ['login', 'chat', 'ping', 'history', 'clear', 'cancel', 'resume'];
const hostileKeys = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'];

const hugeNumber = fc.constantFrom(1e308, -1e308, 5e-324, -0, Number.MAX_SAFE_INTEGER + 2, 2 ** 64, 1.5, -1);
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  hugeNumber,
  fc.string({ maxLength: 3000 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.constantFrom('', ' ', '\u0000', '\u202e', '\r\n{"type":"ping"}', '<script>alert(1)</script>', '../../etc/passwd'),
  fc.constant({ polluted: true, isAdmin: true }),
);

const frameText: fc.Arbitrary<string> = fc.oneof(
  // any JSON value at all
  fc.jsonValue().map((v) => JSON.stringify(v)),
  // objects with our field names, a real type and wrong-typed (or hostile) values
  fc
    .tuple(
      fc.constantFrom(...messageTypes, 'dance', '', 'PING', '__proto__'),
      fc.array(fc.tuple(fc.constantFrom(...fieldNames, ...hostileKeys), hostileValue), { maxLength: 6 }),
    )
    .map(([type, pairs]) => objectText([['type', type], ...pairs])),
  // prototype pollution attempts in every shape
  fc
    .tuple(fc.constantFrom(...hostileKeys), fc.constantFrom(...messageTypes))
    .map(([key, type]) => objectText([['type', type], [key, { polluted: true, prototype: { polluted: true } }], ['query', 'x'], ['code', 'c']])),
  // arbitrary text, including lone surrogates (sent as U+FFFD by the client's UTF-8 encoder)
  fc.string({ unit: 'binary', maxLength: 500 }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 200 }),
  // numbers JSON.parse must survive
  fc.constantFrom('1e999999', '-1e999999', '123456789012345678901234567890', '{"type":"history","limit":1e999}', '{"type":"resume","id":"x","from_index":1e308}'),
);

describe('fuzz: WebSocket protocol', () => {
  const state = hostileGateway({
    WS_MAX_FRAME_BYTES: String(MAX_FRAME_BYTES),
    WS_MAX_MESSAGES_PER_SECOND: '100000',
    STREAM_COALESCE_MS: '0',
  });

  /** Every frame the server sends has the envelope; every error names a catalogue reason. */
  function assertWellFormed(frame: Frame, sent: string): void {
    const where = `after sending ${sent.slice(0, 200)}`;
    assert.equal(typeof frame.type, 'string', where);
    assert.equal(typeof frame.code, 'number', where);
    assert.equal(typeof frame.message, 'string', where);
    assert.ok(frame.data === null || typeof frame.data === 'object', where);
    if (frame.type === 'error' || (frame.code !== 0 && frame.data?.reason !== undefined)) {
      assert.ok(reasons.has(frame.data.reason), `reason ${frame.data?.reason} is in the catalogue, ${where}`);
      assert.notEqual(frame.data.reason, 'internal_error', where);
    }
  }

  it('answers every random text frame with well-formed frames and keeps the socket open', async () => {
    const { numRuns, seed } = fuzzSettings(300);
    const { gw, watch } = state;
    const { client } = await WsTestClient.loggedIn(gw.wsUrl, 'fuzzer');
    let probe = 0;
    await fc.assert(
      fc.asyncProperty(frameText, async (text) => {
        client.send(text);
        // a ping with a fresh request_id marks the end of this frame's answers
        const marker = `probe-${probe++}`;
        client.send({ type: 'ping', request_id: marker });
        for (;;) {
          const frame = await client.next();
          assertWellFormed(frame, text);
          if (frame.type === 'pong' && frame.request_id === marker) break;
        }
      }),
      { numRuns, seed, endOnFailure: true },
    );
    assert.equal(client.closeCode, undefined, 'socket still open');
    await client.close();
    watch.assertClean();
  });

  it('answers random binary frames with binary_not_supported', async () => {
    const { numRuns, seed } = fuzzSettings(50);
    const { gw } = state;
    const client = await WsTestClient.connect(gw.wsUrl);
    await client.nextOf('connected');
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2000 }), async (bytes) => {
        client.socket.send(bytes, { binary: true });
        const frame = await client.next();
        assert.equal(frame.data.reason, 'binary_not_supported');
      }),
      { numRuns, seed, endOnFailure: true },
    );
    await client.close();
  });

  it('closes with 1007 on a text frame that is not UTF-8, and the server carries on', async () => {
    const { numRuns, seed } = fuzzSettings(20);
    const { gw, watch } = state;
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 1, maxLength: 200 }).filter((b) => !isUtf8(b)),
        async (bytes) => {
          const client = await WsTestClient.connect(gw.wsUrl);
          await client.nextOf('connected');
          client.socket.send(bytes, { binary: false });
          const { code } = await client.closed;
          assert.equal(code, 1007);
        },
      ),
      { numRuns, seed, endOnFailure: true },
    );
    assert.equal((await fetch(`${gw.url}/wechat/health`)).status, 200);
    watch.assertClean();
  });

  it('survives 100,000-deep nesting, huge numbers and oversize frames', async () => {
    const { gw, watch } = state;
    const client = await WsTestClient.connect(gw.wsUrl);
    await client.nextOf('connected');
    const deep = 100_000;
    const cases = [
      '['.repeat(deep) + ']'.repeat(deep),
      '{"a":'.repeat(deep) + '1' + '}'.repeat(deep),
      `{"type":"chat","query":${'['.repeat(deep)}${']'.repeat(deep)}}`,
      `{"type":"ping","extra":${'['.repeat(deep)}${']'.repeat(deep)}}`,
      '['.repeat(deep),
      `{"type":"login","code":"${'9'.repeat(500_000)}"}`,
      `{"type":"history","limit":${'9'.repeat(400_000)}}`,
    ];
    for (const text of cases) {
      assert.ok(Buffer.byteLength(text) <= MAX_FRAME_BYTES, 'within the frame limit: reaches the parser');
      client.send(text);
      const frame = await client.next();
      assertWellFormed(frame, text);
      if (frame.type !== 'pong') assert.equal(frame.type, 'error', text.slice(0, 40));
    }
    client.send({ type: 'ping' });
    assert.equal((await client.next()).type, 'pong');
    client.send('x'.repeat(MAX_FRAME_BYTES + 1));
    assert.equal((await client.closed).code, CloseCode.MESSAGE_TOO_BIG);
    assert.equal((await fetch(`${gw.url}/wechat/health`)).status, 200);
    watch.assertClean();
  });

  it('documents every close code a client can see in docs/protocol.md §6', () => {
    const doc = readFileSync(new URL('../docs/protocol.md', import.meta.url), 'utf8');
    const section = doc.slice(doc.indexOf('## 6.'), doc.indexOf('## 7.'));
    for (const code of documentedCloseCodes) assert.match(section, new RegExp(`^\\| ${code} \\|`, 'm'), `close code ${code}`);
  });
});

function isUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}
