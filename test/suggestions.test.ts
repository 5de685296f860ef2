import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { headingQuestion } from '../src/chat/suggestions/kb-suggestion-source.js';
import {
  defaultReply, FAKE_SUGGESTIONS, isSuggestionRequest, startFakeLlmServer, type FakeLlmServer,
} from './support/fake-llm-server.js';
import { startGateway, type RunningGateway } from './support/start-gateway.js';
import { plain, until } from './support/wait.js';
import { createWxEnvironment } from './support/wx-shim.js';
import { WordChecker } from './support/word-checker.js';
import { WsTestClient, type Frame } from './support/ws-test-client.js';

/** The suggester decided about `answerId` (it logs every outcome at debug level). */
const decided = (gw: RunningGateway, answerId: string) =>
  until(
    () => gw.logs.some((line) => line.includes(answerId) && /"msg":"(?:no )?follow-up suggestions/.test(line)),
    `the suggestion outcome of ${answerId}`,
  );

/** Frames up to a pong: whatever the server sent before answering this ping. */
async function framesUntilPong(client: WsTestClient, rid: string): Promise<Frame[]> {
  client.send({ type: 'ping', request_id: rid });
  const pong = await client.nextOf('pong');
  assert.equal(pong.request_id, rid);
  return pong.skipped;
}

const suggestionRequests = (llm: FakeLlmServer) => llm.requests.filter((r) => isSuggestionRequest(r.body)).length;

describe('suggested follow-up questions (SUGGESTIONS=on, a model)', () => {
  let llm: FakeLlmServer;
  let gw: RunningGateway;
  const checker = new WordChecker({ words: ['炸弹'] });

  before(async () => {
    llm = await startFakeLlmServer({ apiKey: 'test-key', deltaChars: 4, deltaLatencyMs: 2 });
    gw = await startGateway({
      llm,
      contentChecker: checker,
      contentSecurity: { mode: 'both', failOpen: true },
      env: { SUGGESTIONS: 'on', SUGGESTIONS_TIMEOUT_MS: '1500', LLM_MAX_RETRIES: '0' },
    });
  });
  after(async () => {
    await gw.stop();
    await llm.close();
  });

  it('arrive after chat_response, with the answer id and the chat request_id', async () => {
    const { client } = await WsTestClient.loggedIn(gw.wsUrl, 'sg_after');
    client.send({ type: 'chat', query: '怎样申请退货？', stream: true, request_id: 'q1' });
    const response = await client.nextOf('chat_response');
    assert.equal(response.data.status, 'complete');
    assert.ok(response.skipped.some((f) => f.type === 'chat_delta'), 'the answer streamed as before');
    const suggestions = await client.next();
    assert.deepEqual(suggestions, {
      type: 'chat_suggestions',
      code: 0,
      message: '你可能还想问',
      data: { id: response.data.id, suggestions: FAKE_SUGGESTIONS },
      request_id: 'q1',
    });
    const asked = llm.requests.filter((r) => isSuggestionRequest(r.body)).at(-1)!;
    assert.equal(asked.body.max_tokens, 160);
    assert.match(JSON.stringify(asked.body.messages), /怎样申请退货/);
    await client.close();
  });

  it('a seed client (no stream, no request_id) gets the seed frames only, and costs no call', async () => {
    const { client } = await WsTestClient.loggedIn(gw.wsUrl, 'sg_seed');
    const before = suggestionRequests(llm);
    client.send({ type: 'chat', query: '你好' });
    const response = await client.nextOf('chat_response');
    assert.deepEqual(Object.keys(response.data).sort(), ['id', 'msg', 'session_id']);
    await decided(gw, response.data.id);
    assert.deepEqual(await framesUntilPong(client, 'p'), []);
    assert.equal(suggestionRequests(llm), before);
    await client.close();
  });

  it('none after a cancelled answer', async () => {
    const { client } = await WsTestClient.loggedIn(gw.wsUrl, 'sg_cancel');
    llm.setReply((body) => (isSuggestionRequest(body) ? defaultReply(body) : '很长的回答'.repeat(400)));
    try {
      const before = suggestionRequests(llm);
      client.send({ type: 'chat', query: '说个没完', stream: true, request_id: 'c1' });
      const processing = await client.nextOf('chat_processing');
      await client.nextOf('chat_delta');
      client.send({ type: 'cancel', request_id: 'stop' });
      const response = await client.nextOf('chat_response');
      assert.equal(response.data.status, 'cancelled');
      await decided(gw, processing.data.id);
      const later = await framesUntilPong(client, 'p');
      assert.ok(!later.some((f) => f.type === 'chat_suggestions'), JSON.stringify(later));
      assert.equal(suggestionRequests(llm), before);
    } finally {
      llm.setReply(defaultReply);
    }
    await client.close();
  });

  it('none after a failed answer', async () => {
    const { client } = await WsTestClient.loggedIn(gw.wsUrl, 'sg_failed');
    const before = suggestionRequests(llm);
    llm.pushFault({ status: 500 });
    client.send({ type: 'chat', query: '会失败的问题', stream: true, request_id: 'f1' });
    const response = await client.nextOf('chat_response');
    assert.notEqual(response.code, 0);
    assert.equal(response.data.status, undefined);
    await decided(gw, response.data.id);
    assert.deepEqual(await framesUntilPong(client, 'p'), []);
    assert.equal(suggestionRequests(llm), before);
    await client.close();
  });

  it('a model answering garbage: no frame, and the next chat works', async () => {
    const { client } = await WsTestClient.loggedIn(gw.wsUrl, 'sg_garbage');
    llm.setReply((body) => (isSuggestionRequest(body) ? '<html>502 Bad Gateway</html>' : defaultReply(body)));
    try {
      client.send({ type: 'chat', query: '第一个问题', stream: true, request_id: 'g1' });
      const first = await client.nextOf('chat_response');
      await decided(gw, first.data.id);
      assert.deepEqual(await framesUntilPong(client, 'p'), []);
      client.send({ type: 'chat', query: '第二个问题', stream: true, request_id: 'g2' });
      const second = await client.nextOf('chat_response');
      assert.equal(second.data.status, 'complete');
      assert.equal(second.data.msg, '收到：第二个问题');
      assert.ok(!second.skipped.some((f) => f.type === 'chat_suggestions'));
    } finally {
      llm.setReply(defaultReply);
    }
    await client.close();
  });

  it('a model that hangs: cut at SUGGESTIONS_TIMEOUT_MS, no frame, the next chat works', async () => {
    const { client } = await WsTestClient.loggedIn(gw.wsUrl, 'sg_hang');
    const aborted = llm.abortedCount();
    llm.pushFault({ hang: true, only: isSuggestionRequest });
    client.send({ type: 'chat', query: '问一个问题', stream: true, request_id: 'h1' });
    const first = await client.nextOf('chat_response');
    await decided(gw, first.data.id);
    await until(() => llm.abortedCount() > aborted, 'the hung suggestion request aborted');
    assert.deepEqual(await framesUntilPong(client, 'p'), []);
    client.send({ type: 'chat', query: '再问一个', stream: true, request_id: 'h2' });
    const second = await client.nextOf('chat_response');
    assert.equal(second.data.msg, '收到：再问一个');
    const suggestions = await client.nextOf('chat_suggestions');
    assert.equal(suggestions.data.id, second.data.id);
    await client.close();
  });

  it('a new question while suggestions are being made drops them (and stops their model call)', async () => {
    const { client } = await WsTestClient.loggedIn(gw.wsUrl, 'sg_next');
    const aborted = llm.abortedCount();
    llm.pushFault({ hang: true, only: isSuggestionRequest });
    client.send({ type: 'chat', query: '第一问', stream: true, request_id: 'n1' });
    const first = await client.nextOf('chat_response');
    await until(() => llm.requests.some((r) => isSuggestionRequest(r.body) && JSON.stringify(r.body).includes('第一问')), 'the suggestion call');
    client.send({ type: 'chat', query: '第二问', stream: true, request_id: 'n2' });
    const second = await client.nextOf('chat_response');
    assert.equal(second.data.msg, '收到：第二问');
    await until(() => llm.abortedCount() > aborted, 'the dropped suggestion call aborted');
    const suggestions = await client.nextOf('chat_suggestions');
    assert.equal(suggestions.data.id, second.data.id, 'only the second answer gets suggestions');
    await decided(gw, first.data.id);
    assert.ok(!client.frames.some((f) => f.type === 'chat_suggestions' && f.data.id === first.data.id));
    await client.close();
  });

  it('content security drops a flagged suggestion', async () => {
    const { client } = await WsTestClient.loggedIn(gw.wsUrl, 'sg_checked');
    llm.setReply((body) => (isSuggestionRequest(body) ? '["可以换货吗？","炸弹怎么做？","退款多久到账？"]' : defaultReply(body)));
    try {
      client.send({ type: 'chat', query: '退货政策', stream: true, request_id: 'm1' });
      await client.nextOf('chat_response');
      const suggestions = await client.nextOf('chat_suggestions');
      assert.deepEqual(suggestions.data.suggestions, ['可以换货吗？', '退款多久到账？']);
    } finally {
      llm.setReply(defaultReply);
    }
    await client.close();
  });

  it('the mini-program kit as shipped ignores the frame: one answer, no error, the next chat works', async () => {
    const env = createWxEnvironment({ root: join(import.meta.dirname, '..', 'miniprogram') });
    const { createChatClient } = env.require('lib/chat-client.js');
    const client = createChatClient({ url: gw.wsUrl, requestTimeout: 3_000 });
    const answers: any[] = [];
    const errors: unknown[] = [];
    const frames: any[] = [];
    client.on('answer', (a: unknown) => answers.push(plain(a)));
    client.on('error', (e: unknown) => errors.push(plain(e)));
    client.on('frame', (f: any) => f.direction === 'in' && frames.push(plain(f.frame)));
    try {
      client.start();
      client.chat('第一个问题');
      await until(() => frames.some((f) => f.type === 'chat_suggestions'), 'chat_suggestions reached the kit');
      client.chat('第二个问题');
      await until(() => frames.filter((f) => f.type === 'chat_suggestions').length === 2, 'the second answer and its suggestions');
      const finals = answers.filter((a) => a.done);
      assert.deepEqual(finals.map((a) => [a.text, a.status]), [
        ['收到：第一个问题', 'complete'],
        ['收到：第二个问题', 'complete'],
      ]);
      assert.deepEqual(errors, []);
    } finally {
      client.stop();
    }
  });

  it('HTTP has none: the event stream ends with chat_response, without a suggestion call', async () => {
    const before = suggestionRequests(llm);
    const res = await fetch(`${gw.url}/wechat/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '流式问题', openid: 'sg_http', stream: true }),
    });
    const events = (await res.text()).split('\n\n').filter(Boolean).map((e) => JSON.parse(e.replace(/^data: /, '')) as Frame);
    assert.equal(events.at(-1)!.type, 'chat_response');
    assert.ok(!events.some((e) => e.type === 'chat_suggestions'));
    await decided(gw, events.at(-1)!.data.id);
    assert.equal(suggestionRequests(llm), before);
  });
});

describe('suggested follow-up questions, off (the default)', () => {
  let llm: FakeLlmServer;
  let gw: RunningGateway;
  before(async () => {
    llm = await startFakeLlmServer({ apiKey: 'test-key' });
    gw = await startGateway({ llm });
  });
  after(async () => {
    await gw.stop();
    await llm.close();
  });

  it('no frame and no extra model call', async () => {
    const { client } = await WsTestClient.loggedIn(gw.wsUrl, 'sg_off');
    client.send({ type: 'chat', query: '你好', stream: true, request_id: 'o1' });
    await client.nextOf('chat_response');
    assert.deepEqual(await framesUntilPong(client, 'p'), []);
    client.send({ type: 'chat', query: '再来', stream: true, request_id: 'o2' });
    const second = await client.nextOf('chat_response');
    assert.ok(!second.skipped.some((f) => f.type === 'chat_suggestions'));
    assert.deepEqual(await framesUntilPong(client, 'p2'), []);
    assert.equal(llm.requests.length, 2, 'one model call per answer');
    assert.equal(suggestionRequests(llm), 0);
    assert.ok(!gw.logs.some((line) => line.includes('follow-up suggestions')));
    await client.close();
  });
});

describe('suggested follow-up questions offline (no model): the knowledge base headings', () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startGateway({ knowledgeBase: true, env: { SUGGESTIONS: 'on', KB_LOAD_SAMPLE: 'true' } });
  });
  after(() => gw.stop());

  /** every heading of the sample documents, as the source words it */
  const sampleQuestions = () => {
    const dir = new URL('../kb-sample/', import.meta.url);
    const headings = readdirSync(dir).flatMap((name) =>
      readFileSync(new URL(name, dir), 'utf8')
        .split('\n')
        .filter((line) => /^#{2,6} /.test(line))
        .map((line) => line.replace(/^#+ /, '').trim()),
    );
    return new Set(headings.map(headingQuestion));
  };

  it('neighbouring headings of the cited passages, deterministic', async () => {
    const { client } = await WsTestClient.loggedIn(gw.wsUrl, 'sg_offline');
    const ask = async (rid: string) => {
      client.send({ type: 'chat', query: 'socket 合法域名怎么配置？', stream: true, request_id: rid });
      const response = await client.nextOf('chat_response');
      const suggestions = await client.next();
      assert.equal(suggestions.type, 'chat_suggestions');
      assert.equal(suggestions.request_id, rid);
      assert.equal(suggestions.data.id, response.data.id);
      return { response, list: suggestions.data.suggestions as string[] };
    };
    const first = await ask('k1');
    assert.ok(first.response.data.sources.length > 0, 'the answer cited the sample documents');
    assert.ok(first.list.length >= 1 && first.list.length <= 3, JSON.stringify(first.list));
    const known = sampleQuestions();
    for (const question of first.list) {
      assert.ok(known.has(question), `${question} comes from a sample heading`);
      assert.ok(Array.from(question).length <= 30);
    }
    assert.equal(new Set(first.list).size, first.list.length);
    assert.deepEqual((await ask('k2')).list, first.list);
    await client.close();
  });

  it('nothing cited: no frame', async () => {
    const { client } = await WsTestClient.loggedIn(gw.wsUrl, 'sg_offline_none');
    client.send({ type: 'chat', query: 'qwertyuiop', stream: true, request_id: 'z1' });
    const response = await client.nextOf('chat_response');
    await decided(gw, response.data.id);
    assert.deepEqual(await framesUntilPong(client, 'p'), []);
    await client.close();
  });
});
