/**
 * What an attacker tries beyond malformed input: other users' answer ids, stale session ids,
 * guessable session ids, path traversal in upload names, forged log lines, and probing for an
 * admin API that is off.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { prettyFactory } from 'pino-pretty';
import { setTimeout as sleep } from 'node:timers/promises';
import { prettyOptions } from '../src/observability/logger.js';
import { SESSION_RECHECK_MS } from '../src/transport/ws/session-lease.js';
import { startFakeLlmServer, type FakeLlmServer } from './support/fake-llm-server.js';
import { startGateway, type RunningGateway } from './support/start-gateway.js';
import { WsTestClient } from './support/ws-test-client.js';

const ADMIN = 'review-admin-token';
const FORGED = '\n{"level":50,"msg":"forged"}\r\n[12:00:00.000] \u001b[31mERROR\u001b[39m: forged';

describe('attacker review', () => {
  let llm: FakeLlmServer;
  let gw: RunningGateway;

  before(async () => {
    llm = await startFakeLlmServer({ apiKey: 'test-key', deltaLatencyMs: 30 });
    gw = await startGateway({ llm, knowledgeBase: true, env: { KB_LOAD_SAMPLE: 'false', ADMIN_TOKEN: ADMIN, LLM_MAX_RETRIES: '0' } });
  });
  after(async () => {
    await gw.stop();
    await llm.close();
  });

  it("cannot resume or cancel another user's answer, in flight or stored", async () => {
    const { client: alice } = await WsTestClient.loggedIn(gw.wsUrl, 'alice');
    const { client: mallory } = await WsTestClient.loggedIn(gw.wsUrl, 'mallory');
    alice.send({ type: 'chat', query: '我的秘密问题', stream: true });
    const { data } = await alice.nextOf('chat_processing');
    const id = data.id as string;

    mallory.send({ type: 'resume', id, from_index: 0 });
    assert.equal((await mallory.next()).data.reason, 'answer_not_found');
    mallory.send({ type: 'cancel', id });
    const cancel = await mallory.next();
    assert.deepEqual(cancel.data, { id: null, cancelled: false });

    const done = await alice.nextOf('chat_response');
    assert.equal(done.data.status, 'complete', "alice's answer was not cancelled");
    mallory.send({ type: 'resume', id });
    assert.equal((await mallory.next()).data.reason, 'answer_not_found', 'nor the stored answer');
    assert.equal(JSON.stringify(mallory.frames).includes('我的秘密问题'), false);
    await Promise.all([alice.close(), mallory.close()]);
  });

  it('after delete_conversation, an old answer id no longer resumes; after expiry, the session id is refused', async () => {
    const { client, login } = await WsTestClient.loggedIn(gw.wsUrl, 'forgetful');
    client.send({ type: 'chat', query: '记住这个', request_id: 'c1' });
    const { data } = await client.nextOf('chat_response');
    client.send({ type: 'clear' });
    await client.nextOf('clear_response');
    // clear keeps the old conversation (listed, readable, continuable): its answer still resumes
    client.send({ type: 'resume', id: data.id });
    assert.equal((await client.next()).data.msg, data.msg);
    client.send({ type: 'delete_conversation', conversation_id: data.conversation_id });
    await client.nextOf('delete_conversation_response');
    client.send({ type: 'resume', id: data.id });
    assert.equal((await client.next()).data.reason, 'answer_not_found');

    const sessionId = login.data.session_id as string;
    await gw.stores.sessions.touch(sessionId, Date.now() - 1_000);
    // expired behind the socket's back (in the store, not by its own expiry, which is refused at
    // once: src/transport/ws/session-lease.test.ts): seen once the socket's lease is rechecked
    await sleep(SESSION_RECHECK_MS);
    client.send({ type: 'history' });
    assert.equal((await client.next()).data.reason, 'session_expired', 'an open socket loses an expired session');
    const again = await WsTestClient.connect(gw.wsUrl);
    await again.nextOf('connected');
    again.send({ type: 'login', session_id: sessionId });
    assert.equal((await again.nextOf('login_response')).data.reason, 'session_expired');
    const http = await fetch(`${gw.url}/wechat/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ session_id: sessionId, query: '还在吗' }),
    });
    assert.equal(((await http.json()) as any).data.reason, 'session_expired');
    await Promise.all([client.close(), again.close()]);
  });

  it('issues session ids of 256 random bits, unrelated to the login code', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`${gw.url}/wechat/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"code":"same"}' });
      ids.add(((await res.json()) as any).data.session_id);
    }
    assert.equal(ids.size, 20, 'a new id every login, even with the same code');
    for (const id of ids) assert.match(id, /^[A-Za-z0-9_-]{43}$/, '32 bytes, base64url');
  });

  it('stores an upload named ../../etc/passwd.md as passwd.md, writing nothing outside the data dir', async () => {
    // the data dir sits in the shared tmp dir, where other tests create folders at the same time:
    // look for what these uploads could have written there, not for any new entry
    const escaped = () => readdirSync(join(gw.dataDir, '..')).filter((name) => /passwd|shadow|win\.ini/.test(name));
    const before = escaped();
    const upload = (name: string) =>
      fetch(`${gw.url}/admin/kb/documents?name=${encodeURIComponent(name)}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN}` },
        body: '# 标题\n\n正文内容。',
      });
    for (const name of ['../../etc/passwd.md', '..\\..\\windows\\win.ini.md', '/etc/shadow.md']) {
      const res = await upload(name);
      assert.ok(res.status === 201 || res.status === 200, `${name}: ${res.status}`);
    }
    const hostile = await upload(`evil${FORGED}\u202egpj.md`);
    assert.equal(hostile.status, 201);
    for (const name of ['..', '.', '\u0000\n']) assert.equal((await upload(name)).status, 400, JSON.stringify(name));

    const names = (await gw.knowledgeBase!.listDocuments()).map((d) => d.name).sort();
    assert.ok(names.includes('passwd.md') && names.includes('win.ini.md') && names.includes('shadow.md'), names.join(','));
    for (const name of names) assert.doesNotMatch(name, /[/\\\u0000-\u001f\u202e]/, `sanitized: ${JSON.stringify(name)}`);
    assert.equal(existsSync(join(gw.dataDir, '..', '..', 'etc', 'passwd.md')), false);
    assert.deepEqual(escaped(), before, 'nothing written beside the data dir');
  });

  it('keeps hostile text in codes, queries and names inside one log record, in JSON and pretty format', async () => {
    const { client } = await WsTestClient.loggedIn(gw.wsUrl, `code${FORGED}`);
    client.send({ type: 'chat', query: `问题${FORGED}` });
    await client.nextOf('chat_response');
    client.send(`{"type":"${FORGED}"}`);
    await client.next();
    client.send(`{bad json${FORGED}`);
    await client.next();
    await client.close();
    await fetch(`${gw.url}/wechat/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"code":${FORGED}` });
    const removed = await gw.knowledgeBase!.listDocuments();
    for (const doc of removed) await fetch(`${gw.url}/admin/kb/documents/${encodeURIComponent(doc.docId)}`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN}` } });

    const pretty = prettyFactory({ ...prettyOptions, colorize: false });
    for (const line of gw.logs) {
      const record = JSON.parse(line); // every line is one JSON record
      assert.notEqual(record.msg, 'forged');
      // pretty: the first line is the record's own; the rest are indented fields
      const [, ...rest] = pretty(record).trimEnd().split('\n');
      for (const extra of rest) assert.match(extra, /^\s/, `a forged line in pretty output: ${JSON.stringify(extra)}`);
    }
  });

  it('an admin API that is off is indistinguishable from an unknown path', async () => {
    const off = await startGateway({ knowledgeBase: true, env: { KB_LOAD_SAMPLE: 'false' } });
    try {
      const unknown = await fetch(`${off.url}/no/such/path`);
      const unknownBody = await unknown.text();
      for (const [method, path] of [['GET', '/admin/kb/documents'], ['POST', '/admin/kb/documents?name=x.md'], ['GET', '/admin/kb/search?q=x'], ['DELETE', '/admin/kb/documents/x']]) {
        const res = await fetch(`${off.url}${path}`, { method, headers: { authorization: 'Bearer guess' } });
        assert.equal(res.status, 404, `${method} ${path}`);
        assert.equal(await res.text(), unknownBody, `${method} ${path}`);
      }
    } finally {
      await off.stop();
    }
  });
});
